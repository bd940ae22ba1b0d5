-- 市级共享部署 第二步：init 建好表之后（以及每次用 init 升级之后）以 zjtx_owner 运行：
--   psql "host=数据库服务器 dbname=zjtx user=zjtx_owner" -f 2-after-init.sql
-- 审计记录只许追加：程序账户不能修改、删除或清空（服务器上的触发器也拒绝这些操作，这里是第二道防线）；
-- 数据库版本号只由所有者账户在升级时修改。可重复运行。

REVOKE UPDATE, DELETE, TRUNCATE ON audit_entry FROM zjtx_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM zjtx_app;
GRANT SELECT ON audit_entry, alembic_version TO zjtx_app;
GRANT INSERT ON audit_entry TO zjtx_app;
-- 证明材料的内容只随进展记录写入，随记录删除（由外键级联完成），程序账户不能直接改写或删除。
REVOKE UPDATE, DELETE, TRUNCATE ON evidence_content FROM zjtx_app;

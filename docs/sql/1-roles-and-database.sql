-- 市级共享部署 第一步：建账户和数据库（以 postgres 超级用户在数据库服务器上运行：psql -f 1-roles-and-database.sql）
-- zjtx_owner：数据库所有者，只用于 init（建表、升级），不写进各单位电脑的连接设置；
-- zjtx_app：各单位电脑上的程序使用的账户，只能读写业务数据，不能改表结构，不能改删审计记录。
-- 运行前把两个密码换成各自的强密码。

CREATE ROLE zjtx_owner LOGIN PASSWORD '请改为所有者的强密码';
CREATE ROLE zjtx_app LOGIN PASSWORD '请改为程序账户的强密码';
CREATE DATABASE zjtx OWNER zjtx_owner ENCODING 'UTF8' TEMPLATE template0;

\connect zjtx

REVOKE ALL ON DATABASE zjtx FROM PUBLIC;
GRANT CONNECT ON DATABASE zjtx TO zjtx_app;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO zjtx_owner;
GRANT USAGE ON SCHEMA public TO zjtx_app;

-- 以后 init（所有者账户）建的表和序列自动授权给程序账户；审计表的限制见第二步。
ALTER DEFAULT PRIVILEGES FOR ROLE zjtx_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO zjtx_app;
ALTER DEFAULT PRIVILEGES FOR ROLE zjtx_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO zjtx_app;

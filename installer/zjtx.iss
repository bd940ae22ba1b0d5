; 专精特新企业培育管理系统 (ZJTX Desktop) — the Windows installer, for Inno Setup 6.3 or later.
;
; Build it with `make installer` (or `python installer\make_installer.py`) on Windows after `make dist`:
; the script reads the one version in zjtx_desktop/__init__.py, writes the notices page, finds the
; Chinese messages file and calls ISCC with /DAppVersion=… — compiling this file by hand stops with
; an error because the version is deliberately not written here.
;
; What it does: a per-user install without administrator rights into %LOCALAPPDATA%\Programs\ZJTXDesktop,
; a Chinese wizard, a start-menu shortcut and an optional desktop shortcut, upgrades in place (fixed AppId).
; What it never does: write to the data folder %LOCALAPPDATA%\ZJTXDesktop (database, backups\,
; evidence\ — see zjtx_desktop/paths.py). Only the uninstaller offers to remove that folder, and keeps
; it unless the user says otherwise twice.

#if Ver < EncodeVer(6, 3, 0)
  #error 需要 Inno Setup 6.3 或更高版本（x64compatible 架构标识、UTF-8 说明文件）
#endif

#ifndef AppVersion
  #error 没有版本号：请用 installer\make_installer.py 制作安装包，它从 zjtx_desktop\__init__.py 读取 __version__ 并以 /DAppVersion= 传给 ISCC
#endif
#ifndef FileVersion
  #define FileVersion AppVersion
#endif
; The compiler's own Simplified Chinese messages when it has them (Inno Setup's source now lists them among
; the official translations); Inno Setup 6 installs leave them out, and make_installer.py then passes the
; path of a downloaded copy instead.
#ifndef ChineseMessages
  #define ChineseMessages "compiler:Languages\ChineseSimplified.isl"
#endif

; Must match zjtx_desktop (APP_NAME; paths.APP_DIR_NAME and default_db_path()): tests/core/test_installer_script.py checks.
#define AppName "专精特新企业培育管理系统"
#define AppExeName "ZJTXDesktop.exe"
#define DataFolderName "ZJTXDesktop"
#define DatabaseFileName "zjtx.sqlite3"
#define DefaultInstallDir "{userpf}\ZJTXDesktop"

[Setup]
; Fixed for good: the same AppId makes a newer installer replace the installed program in place.
AppId={{7997D33A-2A8E-4449-AF17-DED0F7DDDE52}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
VersionInfoVersion={#FileVersion}
VersionInfoProductName={#AppName}
VersionInfoDescription={#AppName} 安装程序
UninstallDisplayName={#AppName}
UninstallDisplayIcon={app}\{#AppExeName}
; Per user, no administrator rights: {userpf} is %LOCALAPPDATA%\Programs.
PrivilegesRequired=lowest
DefaultDirName={#DefaultInstallDir}
DisableDirPage=auto
DisableProgramGroupPage=yes
; Qt 6 runs on Windows 10 1809 and later, 64-bit only.
MinVersion=10.0.17763
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; The program has no named mutex (one instance per database is a lock file beside the database), so a
; running copy is found by the Windows Restart Manager: it holds the files an upgrade must replace.
CloseApplications=yes
CloseApplicationsFilter=*.exe,*.dll,*.pyd
RestartApplications=no
; No licence of the project's own to accept; the bundled font's licence is shown as information.
InfoBeforeFile=..\build\installer\third-party-notices.txt
ShowLanguageDialog=no
WizardStyle=modern
Compression=lzma2
SolidCompression=yes
SetupLogging=yes
OutputDir=..\dist
OutputBaseFilename=ZJTXDesktop-{#AppVersion}-setup

[Languages]
Name: "chinesesimplified"; MessagesFile: "{#ChineseMessages}"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[InstallDelete]
; An upgrade starts from a clean library folder, so nothing the previous build shipped and this one
; dropped lingers beside the new files. Only the program folder: the data folder is elsewhere.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "..\dist\ZJTXDesktop\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExeName}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
// The per-user data folder: platformdirs.user_data_dir("ZJTXDesktop", appauthor=False), as the program
// finds it (zjtx_desktop/paths.py). The uninstaller runs as the same user, so {localappdata} is theirs.
function DataFolder(): String;
begin
  Result := ExpandConstant('{localappdata}\{#DataFolderName}');
end;

function IsSameOrInside(Path, Folder: String): Boolean;
var
  P, F: String;
begin
  P := Uppercase(AddBackslash(ExpandFileName(Path)));
  F := Uppercase(AddBackslash(ExpandFileName(Folder)));
  Result := Copy(P, 1, Length(F)) = F;
end;

// Program and data must stay apart, or an upgrade (which empties {app}\_internal) or an uninstall could
// reach the database. Choosing %LOCALAPPDATA% in the folder browser would otherwise land exactly there.
function InstallFolderProblem(Dir: String): String;
begin
  Result := '';
  if IsSameOrInside(Dir, DataFolder()) or IsSameOrInside(DataFolder(), Dir) then
    Result := '不能把程序安装到“' + Dir + '”。' + #13#10#13#10 +
      '“' + DataFolder() + '”是本程序存放数据库、备份和证明材料的数据文件夹。' +
      '程序文件夹不能是它、不能在它里面，也不能包含它，这样升级和卸载程序时才不会影响数据。' + #13#10#13#10 +
      '请选择其他文件夹，例如默认的“' + ExpandConstant('{#DefaultInstallDir}') + '”。';
end;

function NextButtonClick(CurPageID: Integer): Boolean;
var
  Problem: String;
begin
  Result := True;
  if CurPageID = wpSelectDir then
  begin
    Problem := InstallFolderProblem(WizardDirValue());
    if Problem <> '' then
    begin
      SuppressibleMsgBox(Problem, mbError, MB_OK, IDOK);
      Result := False;
    end;
  end;
end;

// The last guard before anything is written, wherever the folder came from (/DIR=, a skipped folder page).
function PrepareToInstall(var NeedsRestart: Boolean): String;
begin
  Result := InstallFolderProblem(ExpandConstant('{app}'));
end;

// A running program keeps its files open and they could not be removed. It has no mutex to ask, but it
// keeps a lock file beside its database while it runs (or after a crash, until its next start).
function InitializeUninstall(): Boolean;
begin
  Result := True;
  if FileExists(DataFolder() + '\{#DatabaseFileName}.lock') then
    Result := SuppressibleMsgBox(
      '{#AppName}可能正在运行（或上次没有正常退出）。' + #13#10#13#10 +
      '请先关闭程序（所有窗口），再点“确定”继续卸载；点“取消”放弃卸载。',
      mbConfirmation, MB_OKCANCEL, IDOK) = IDOK;
end;

// Keep the data unless the user asks twice; with message boxes suppressed (/SUPPRESSMSGBOXES) the default
// answer No keeps it.
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Folder: String;
begin
  if CurUninstallStep <> usPostUninstall then
    Exit;
  Folder := DataFolder();
  if not DirExists(Folder) then
    Exit;
  if SuppressibleMsgBox(
      '程序已卸载。是否同时删除本程序的数据？' + #13#10#13#10 +
      '数据文件夹：' + Folder + #13#10 +
      '其中有数据库 {#DatabaseFileName}（企业、培育、监测、帮扶、目标等全部记录和账户）、' +
      'backups 文件夹（自动备份）和 evidence 文件夹（证明材料）。' + #13#10#13#10 +
      '选“否”（建议）：保留数据，以后重新安装本程序即可继续使用。' + #13#10 +
      '选“是”：永久删除这些数据，无法恢复。',
      mbConfirmation, MB_YESNO or MB_DEFBUTTON2, IDNO) <> IDYES then
    Exit;
  if SuppressibleMsgBox(
      '确定要永久删除“' + Folder + '”及其中的全部数据和备份吗？' + #13#10#13#10 +
      '删除前请确认需要保留的数据已复制到别处。',
      mbConfirmation, MB_YESNO or MB_DEFBUTTON2, IDNO) <> IDYES then
    Exit;
  if not DelTree(Folder, True, True, True) then
    MsgBox('数据文件夹没有全部删除（可能有文件正被使用）：' + #13#10 + Folder + #13#10#13#10 +
      '请关闭正在使用它的程序后手动删除。', mbError, MB_OK);
end;

"""Words of sign-in, roles, masking and the audit log, in English and Simplified Chinese. Merged into the
one table of ui.i18n (``_merge``), so ``t(key)`` finds them.

Keys: ``auth_`` (sign-in and permissions), ``role_<role>`` (custlib.access.ROLES), ``audit_`` (the
audit log on the Data page; ``audit_action_<action>`` and ``audit_via_<via>`` name custlib.audit values).
"""
from __future__ import annotations

# key: (English, 简体中文)
TEXT: dict[str, tuple[str, str]] = {
    # --- roles ---
    "role_executive": ("Executive", "管理层"),
    "role_marketing": ("Marketing", "市场营销"),
    "role_analyst": ("Analyst", "分析师"),

    # --- sign-in ---
    "auth_title": ("Sign in", "登录"),
    "auth_intro": ("The studio holds customer data. Sign in with the user name and password your administrator "
                   "gave you.",
                   "本工作台包含客户数据。请使用管理员提供的用户名和密码登录。"),
    "auth_user": ("User name", "用户名"),
    "auth_password": ("Password", "密码"),
    "auth_sign_in": ("Sign in", "登录"),
    "auth_wrong": ("The user name or password is not right. Try again, or ask your administrator.",
                   "用户名或密码不正确。请重试，或联系管理员。"),
    "plans_read_only": ("Your role may read plans but not save them (saving needs the marketing or analyst role).",
                        "您的角色可以查看计划，但不能保存（保存需要市场营销或分析师角色）。"),
    "auth_oidc_intro": ("Sign in with your company account; you come back here afterwards.",
                        "请使用公司账号登录，登录后将返回此处。"),
    "auth_oidc_sign_in": ("Sign in with your company account", "使用公司账号登录"),
    "auth_untrusted_peer": ("The studio accepts sign-in only through the company sign-in proxy, and this "
                            "connection does not come from it. Open the studio through the company portal.",
                            "本工作台只接受经由公司登录代理的登录，而此连接并非来自该代理。请通过公司门户打开本工作台。"),
    "auth_locked": ("Too many failed sign-ins for this user name or from this address. Try again in {seconds} s.",
                    "该用户名或该地址登录失败次数过多。请在 {seconds} 秒后重试。"),
    "auth_exposed": ("This studio is reachable from other machines ({address}) but no sign-in is configured, "
                     "so it serves nothing: otherwise every visitor would be an analyst. Ask whoever runs it to "
                     "listen on this machine only (server.address = \"127.0.0.1\") or to configure sign-in "
                     "(docs/reliability.md).",
                     "此工作台可从其他机器访问（{address}），但未配置登录，因此不提供任何内容：否则每位访问者都将成为分析师。"
                     "请运行者改为只在本机监听（server.address = \"127.0.0.1\"），或配置登录（见 docs/reliability.md）。"),
    "auth_unguarded": ("Sign-in is configured, but this server was started as `streamlit run app.py`, which "
                       "accepts uploads from anyone. Ask whoever runs it to start it with `make run` (that is, "
                       "`streamlit run serve.py`).",
                       "已配置登录，但此服务器是以 `streamlit run app.py` 启动的，会接受任何人的上传。"
                       "请运行者改用 `make run`（即 `streamlit run serve.py`）启动。"),
    "auth_idle_signed_out": ("You were signed out after {minutes} minutes without a click. Sign in again to go on.",
                             "您已超过 {minutes} 分钟未操作，已自动退出登录。请重新登录以继续。"),
    "auth_config_broken": ("Sign-in is not set up correctly, so nobody can use the studio until it is fixed. "
                           "Tell your administrator: {error}",
                           "登录设置有误，修正之前任何人都无法使用本工作台。请告知管理员：{error}"),
    "auth_no_header": ("The studio cannot tell who you are: it expects the company sign-in proxy to send your "
                       "user name (header {header}). Open the studio through the company portal, or ask your "
                       "administrator.",
                       "本工作台无法识别您的身份：它需要公司登录代理传来您的用户名（请求头 {header}）。请通过公司门户"
                       "打开本工作台，或联系管理员。"),
    "auth_not_listed": ("You are signed in as {user}, but this user has no access to the studio. Ask your "
                        "administrator for a role.",
                        "您当前的登录身份是 {user}，但该用户没有本工作台的访问权限。请联系管理员分配角色。"),
    "auth_signed_in_as": ("Signed in as {user} · {role}", "当前用户：{user} · {role}"),
    "auth_sign_out": ("Sign out", "退出登录"),
    "auth_via_proxy": ("Signed in through the company portal.", "已通过公司门户登录。"),
    "auth_page_refused": ("Your role ({role}) may not open this page. Ask your administrator if you need it.",
                          "您的角色（{role}）无权打开此页面。如有需要，请联系管理员。"),
    "auth_rows_hidden": ("Lists of single customers are not shown to your role ({role}); the totals above cover "
                         "them.",
                         "您的角色（{role}）不显示单个客户的名单；上方的汇总数据已包含这些客户。"),
    "auth_masked": ("Names, emails and phone numbers are masked for your role ({role}), here and in the "
                    "download.",
                    "对您的角色（{role}），姓名、邮箱和电话均已脱敏显示，下载文件中同样如此。"),
    "auth_ask_analyst": ("Only analysts import data: ask an analyst to load a dataset.",
                         "只有分析师可以导入数据：请联系分析师加载数据集。"),

    # --- audit log (Data page) ---
    "audit_heading": ("Audit log", "审计日志"),
    "audit_caption": ("Every change, refusal, export, sign-in and profile view, newest first; times in UTC. The "
                      "log is kept when a dataset is deleted. The command line shows and checks it too: "
                      "python -m custlib audit [--verify].",
                      "所有更改、拒绝、导出、登录和客户档案查看记录，最新的在前；时间为 UTC。删除数据集时日志会保留。"
                      "也可在命令行查看和校验：python -m custlib audit [--verify]。"),
    "audit_empty": ("Nothing recorded yet.", "还没有任何记录。"),
    "audit_col_at": ("When (UTC)", "时间（UTC）"),
    "audit_col_user": ("User", "用户"),
    "audit_col_role": ("Role", "角色"),
    "audit_col_via": ("Through", "途径"),
    "audit_col_action": ("Action", "操作"),
    "audit_col_dataset": ("Dataset", "数据集"),
    "audit_col_detail": ("Detail", "详情"),
    "audit_action_import": ("Import", "导入"),
    "audit_action_delete": ("Delete", "删除"),
    "audit_action_rename": ("Rename", "重命名"),
    "audit_action_set_default": ("Default dataset set", "设为默认数据集"),
    "audit_action_save_plan": ("Plan saved", "保存计划"),
    "audit_action_delete_plan": ("Plan deleted", "删除计划"),
    "audit_action_refused": ("Refused (permission)", "拒绝（无权限）"),
    "audit_action_export": ("Export", "导出"),
    "audit_action_view_profile": ("Profile viewed", "查看客户档案"),
    "audit_action_switch_dataset": ("Dataset viewed", "切换查看的数据集"),
    "audit_filter_user": ("User", "用户"),
    "audit_filter_actions": ("Actions", "操作"),
    "audit_filter_dates": ("Dates (UTC)", "日期（UTC）"),
    "audit_more": ("The newest {rows} entries are shown: narrow the filters to see older ones.",
                   "仅显示最新的 {rows} 条记录：请缩小筛选范围以查看更早的记录。"),
    "audit_action_login": ("Sign-in", "登录"),
    "audit_action_login_failed": ("Failed sign-in", "登录失败"),
    "audit_action_login_refused": ("Refused (no role)", "拒绝访问（无角色）"),
    "audit_action_logout": ("Sign-out", "退出登录"),
    "audit_action_login_locked": ("Sign-in refused (too many failures)", "登录被拒（失败次数过多）"),
    "audit_via_app": ("App", "应用"),
    "audit_via_cli": ("Command line", "命令行"),
    "audit_via_python": ("Python", "Python 调用"),
}

"""Words of the sidebar's view settings and of the Overview, Segments, Retention and Customer value pages,
in English and Simplified Chinese. Merged into the one table of ui.i18n (``_merge``), so ``t(key)`` finds them.

Labels of values that come from custlib (segments, tiers, stages, cluster words) are ``segment_<name>``,
``tier_<name>``, ``stage_<name>`` and ``cluster_word_<word>`` (non-alphanumerics as "_"; see ui.labels).
"""
from __future__ import annotations

# key: (English, 简体中文)
TEXT: dict[str, tuple[str, str]] = {
    # --- navigation ---
    "nav_marketing": ("Marketing", "市场营销"),
    "nav_segments": ("Segments", "客户分群"),
    "nav_retention": ("Retention & lifecycle", "留存与生命周期"),
    "nav_customer_value": ("Customer value", "客户价值"),

    # --- sidebar: view settings ---
    "sidebar_as_of": ("As-of date", "分析截止日期"),
    "sidebar_as_of_help": ("Every number is computed from the data known on this day; nothing dated later is "
                           "read. By default the dataset's last order date ({last}).",
                           "所有数字只使用截至该日已知的数据，不读取之后的记录。默认是数据集的最后订单日期（{last}）。"),
    "sidebar_filters": ("Filters", "筛选"),
    "sidebar_filters_help": ("Choose which customers every page is about. Several values of one filter: any of "
                             "them; several filters: all of them.",
                             "选择各页面分析的客户。同一筛选项选多个值表示满足任意一个；多个筛选项需同时满足。"),
    "sidebar_clear_filters": ("Clear filters", "清除筛选"),
    "filter_any": ("Any", "全部"),
    "filter_region": ("Region", "地区"),
    "filter_region_help": ("The customer's region in the customers table, else the region of most of their "
                           "orders.", "客户资料中的地区；没有时取其大多数订单所在的地区。"),
    "filter_channel": ("Channel", "渠道"),
    "filter_channel_help": ("Customers with at least one purchase in the channel. Their numbers include all their "
                            "purchases, in every channel.",
                            "在该渠道至少购买过一次的客户。其数字包含他们在所有渠道的全部购买。"),
    "filter_industry": ("Industry", "行业"),
    "filter_industry_help": ("From the customers table.", "来自客户资料表。"),
    "filter_company_size": ("Company size", "公司规模"),
    "filter_company_size_help": ("From the customers table.", "来自客户资料表。"),
    "filter_account_manager": ("Account manager", "客户经理"),
    "filter_account_manager_help": ("From the customers table.", "来自客户资料表。"),
    "filter_cohort": ("Acquisition cohort", "获客季度"),
    "filter_cohort_help": ("The quarter of the customer's first purchase.", "客户首次购买所在的季度。"),

    # --- scope line, shared by the pages ---
    "scope_line": ("Dataset “{dataset}”, as of {as_of}.", "数据集“{dataset}”，截至 {as_of}。"),
    "scope_filters": ("Filters: {filters}.", "筛选：{filters}。"),
    "scope_no_filters": ("none", "无"),
    "scope_filter": ("{name}: {values}", "{name}：{values}"),
    "scope_customers": ("{customers} customers.", "共 {customers} 位客户。"),
    "scope_help": ("The numbers cover only the customers the sidebar filters select, with data up to the "
                   "as-of date. Change both in the sidebar.",
                   "数字只涵盖侧栏筛选出的客户，并只使用截至分析日期的数据。两者都可在侧栏修改。"),
    "scope_model": ("{model}, {horizon}-month horizon, {margin} gross margin, {discount} annual discount rate",
                    "{model}，{horizon} 个月期限，毛利率 {margin}，年折现率 {discount}"),
    "list_separator": (", ", "、"),
    "list_separator_major": ("; ", "；"),
    "page_no_data": ("There is no data yet. Load the demo data on the Overview page or import a file.",
                     "还没有数据。请在“概览”页面加载演示数据，或导入文件。"),
    "spinner_value_model": ("Fitting the purchase and spend models (once per dataset, date and settings)…",
                            "正在拟合购买与消费模型（每个数据集、日期和设置只需一次）……"),
    "spinner_working": ("Computing…", "正在计算……"),
    "value_unavailable": ("Customer value is not available: the models could not be fitted on the data up to "
                          "{as_of} (too few customers or repeat purchases).",
                          "无法提供客户价值：截至 {as_of} 的数据不足以拟合模型（客户或复购太少）。"),
    "points_delta": ("{value} pts", "{value} 个点"),
    "period_quarter": ("{year} Q{quarter}", "{year}年第{quarter}季度"),
    "period_year": ("{year}", "{year}年"),
    "period_week": ("week of {day}", "{day} 当周"),
    "grain_month": ("Month", "月"),
    "grain_quarter": ("Quarter", "季度"),
    "grain_year": ("Year", "年"),
    "grain_week": ("Week", "周"),
    "period_noun_month": ("month", "月"),
    "period_noun_quarter": ("quarter", "季度"),
    "period_noun_year": ("year", "年"),

    # --- labels of custlib values ---
    "segment_champions": ("Champions", "冠军客户"),
    "segment_loyal": ("Loyal", "忠诚客户"),
    "segment_potential_loyalists": ("Potential loyalists", "潜在忠诚客户"),
    "segment_new": ("New", "新客户"),
    "segment_promising": ("Promising", "有潜力客户"),
    "segment_need_attention": ("Need attention", "需要关注"),
    "segment_about_to_sleep": ("About to sleep", "即将沉睡"),
    "segment_at_risk": ("At risk", "有流失风险"),
    "segment_can_t_lose_them": ("Can't lose them", "不能失去"),
    "segment_hibernating": ("Hibernating", "休眠客户"),
    "segment_lost": ("Lost", "已流失"),
    "tier_core": ("Core", "核心"),
    "tier_potential": ("Potential", "潜力"),
    "tier_low_value": ("Low value", "低价值"),
    "stage_new": ("New", "新客"),
    "stage_exploration": ("Exploration", "探索期"),
    "stage_development": ("Development", "发展期"),
    "stage_stability": ("Stability", "稳定期"),
    "stage_decline": ("Decline", "衰退期"),
    "stage_lost": ("Lost", "流失"),
    "stage_new__not_yet_a_customer": ("Not yet a customer", "尚未成为客户"),
    "stage_not_present": ("Not present", "不在数据中"),
    "cluster_label": ("Cluster {number}: {description}", "第 {number} 类：{description}"),
    "cluster_word_recent": ("recent", "近期购买"),
    "cluster_word_mid_recency": ("mid recency", "中等近度"),
    "cluster_word_lapsed": ("lapsed", "久未购买"),
    "cluster_word_frequent": ("frequent", "高频"),
    "cluster_word_average_frequency": ("average frequency", "中频"),
    "cluster_word_infrequent": ("infrequent", "低频"),
    "cluster_word_high_spend": ("high spend", "高消费"),
    "cluster_word_average_spend": ("average spend", "中等消费"),
    "cluster_word_low_spend": ("low spend", "低消费"),

    # --- overview ---
    "overview_grain_label": ("Compare by", "比较周期"),
    "overview_no_customers": ("No customer matches the filters on this date.", "在该日期没有符合筛选条件的客户。"),
    "overview_findings_heading": ("What the data say", "数据要点"),
    "overview_value_note": ("Retention: share of the previous period's buyers who bought again. Customer equity "
                            "and revenue at risk are as of {as_of} ({model}).",
                            "留存率：上一周期的购买客户中再次购买的比例。客户资产与风险收入截至 {as_of}（{model}）。"),
    "metric_retention": ("Retention", "留存率"),
    "metric_retention_help": ("Share of the customers who bought in the previous period who bought again in this "
                              "one. The change is in percentage points.",
                              "上一周期购买过的客户中，本周期再次购买的比例。变化以百分点表示。"),
    "metric_nps": ("NPS", "净推荐值"),
    "metric_nps_help": ("Net Promoter Score from each customer's latest answer in the period: % promoters (9-10) "
                        "minus % detractors (0-6), in points from -100 to 100.",
                        "按每位客户在本周期最近一次的回答计算：推荐者（9-10 分）占比减去贬损者（0-6 分）占比，"
                        "取值 -100 到 100。"),
    "metric_equity": ("Customer equity", "客户资产"),
    "metric_equity_help": ("Sum of the customers' CLV: the expected discounted gross margin of their purchases over "
                           "the value horizon, as of the as-of date.",
                           "客户终身价值（CLV）之和：在价值期限内其购买带来的预期折现毛利，截至分析日期。"),
    "metric_at_risk": ("Revenue at risk", "风险收入"),
    "metric_at_risk_help": ("For customers who bought in the last 365 days: their revenue in those days times the "
                            "probability that they have stopped buying (1 - P(alive)).",
                            "针对过去 365 天内购买过的客户：其在这段时间的收入乘以其已停止购买的概率（1 - 存活概率）。"),
    "overview_period_vs": ("The cards show {period} compared with {previous}; customer equity and revenue at "
                           "risk are as of the as-of date.",
                           "指标卡显示 {period}，并与 {previous} 比较；客户资产和风险收入以分析日期为准。"),
    "overview_period_only": ("The cards show {period}; there is no earlier period to compare with.",
                             "指标卡显示 {period}；没有更早的周期可供比较。"),
    "overview_partial_only": ("No period is complete yet, so the cards show the period to date.",
                              "还没有完整的周期，因此指标卡显示本周期至今的数据。"),
    "finding_revenue": ("In {period}, revenue was {revenue_amount} from {active_count} active customers, "
                        "{new_count} of them new", "{period}收入为 {revenue_amount}，来自 {active_count} 位活跃客户，"
                        "其中 {new_count} 位是新客户"),
    "finding_revenue_change": (" (revenue {revenue_change} on {previous})", "（收入较{previous}变化 {revenue_change}）"),
    "finding_retention": ("{retention_share} of the customers who bought in {previous} bought again in {period}",
                          "{previous}购买过的客户中有 {retention_share} 在{period}再次购买"),
    "finding_retention_change": (" ({retention_points} percentage points on the period before)",
                                 "（较上一周期变化 {retention_points} 个百分点）"),
    "finding_nps": ("; the Net Promoter Score was {nps_value}", "；净推荐值为 {nps_value}"),
    "finding_nps_change": ("; the Net Promoter Score was {nps_value} ({nps_points} points)",
                           "；净推荐值为 {nps_value}（变化 {nps_points} 分）"),
    "finding_equity": ("Customer equity, what these customers are expected to bring in gross margin over the next "
                       "{horizon} months, is {equity_amount}; {tier} customers, {tier_customer_share} of them, "
                       "hold {tier_equity_share} of it",
                       "客户资产（这些客户在未来 {horizon} 个月预计带来的毛利）为 {equity_amount}；"
                       "{tier}客户占客户数的 {tier_customer_share}，却拥有其中的 {tier_equity_share}"),
    "finding_risk": ("{risk_amount} of the last 12 months' revenue comes from customers who may have stopped "
                     "buying; {tier_risk_share} of it sits with {tier} customers",
                     "过去 12 个月的收入中有 {risk_amount} 来自可能已停止购买的客户；其中 {tier_risk_share} "
                     "属于{tier}客户"),
    "finding_risk_segment": (", and the “{segment}” segment ({segment_customer_count} customers) alone accounts for "
                             "{segment_risk_amount}",
                             "，仅“{segment}”分群（{segment_customer_count} 位客户）就占 {segment_risk_amount}"),
    "finding_stop": (".", "。"),

    # --- charts shared by the pages ---
    "chart_rates_title": ("Monthly retention, churn, repeat purchase and NPS", "月度留存率、流失率、复购率与净推荐值"),
    "chart_period": ("Period", "周期"),
    "chart_retention_rate": ("Retention", "留存率"),
    "chart_churn_rate": ("Churn", "流失率"),
    "chart_repeat_rate": ("Repeat-purchase rate", "复购率"),
    "chart_nps": ("NPS", "净推荐值"),
    "chart_nps_hover": ("NPS: %{y:.0f} points (%{customdata[0]:,} answers)", "净推荐值：%{y:.0f}（%{customdata[0]:,} 份回答）"),
    "chart_rate_axis": ("Share of customers (%)", "客户占比（%）"),
    "chart_nps_axis": ("NPS (points)", "净推荐值（分）"),
    "chart_tiers_title": ("Customer equity and revenue at risk by value tier", "各价值层级的客户资产与风险收入"),
    "chart_tier": ("Value tier", "价值层级"),
    "chart_equity": ("Customer equity ({horizon} months)", "客户资产（{horizon} 个月）"),
    "chart_revenue_at_risk": ("Revenue at risk", "风险收入"),
    "chart_customers_hover": ("Customers: %{customdata[0]:,}", "客户数：%{customdata[0]:,}"),
    "chart_amount_axis": ("Amount ({currency})", "金额（{currency}）"),

    # --- segments ---
    "seg_title": ("Segments", "客户分群"),
    "seg_intro": ("Who the customers are in groups, what each group is worth, and who is in one: pick a group "
                  "and download its members for a campaign.",
                  "按群体了解客户及各群体的价值；选择一个群体即可下载其成员名单用于营销活动。"),
    "seg_grouping_label": ("Group customers by", "客户分组方式"),
    "seg_grouping_segment": ("RFM segment", "RFM 分群"),
    "seg_grouping_tier": ("Value tier", "价值层级"),
    "seg_grouping_stage": ("Lifecycle stage", "生命周期阶段"),
    "seg_grouping_cluster": ("k-means cluster", "k-means 聚类"),
    "seg_about_segment": ("RFM segments: recency (R) and frequency (F) scores 1-5 against all customers, named by "
                          "fixed rules (champions: R 5 and F 4-5; lost: R 1 and F 1-2; ...).",
                          "RFM 分群：按近度（R）与频度（F）在全体客户中的 1-5 分，依固定规则命名"
                          "（冠军客户：R 5 且 F 4-5；已流失：R 1 且 F 1-2；……）。"),
    "seg_about_tier": ("Value tiers by predicted CLV: the top 20% of all customers are core, the next 30% potential, "
                       "the rest low value.", "按预测 CLV 划分价值层级：全体客户中前 20% 为核心，其后 30% 为潜力，其余为低价值。"),
    "seg_about_stage": ("Lifecycle stages from tenure, purchase trend and the model's probability that the customer "
                        "is still active.", "生命周期阶段依据客户时长、购买趋势以及模型给出的客户仍活跃的概率。"),
    "seg_about_cluster": ("k-means clusters on log recency, frequency and spend of all customers; each cluster is "
                          "described against the median customer.",
                          "基于全体客户的近度、频度与消费（取对数）做 k-means 聚类；每一类都相对于中位客户加以描述。"),
    "seg_clusters_label": ("Number of clusters", "聚类数量"),
    "seg_clusters_auto": ("Best (silhouette)", "自动（轮廓系数最优）"),
    "seg_clusters_help": ("“Best” picks the number of clusters with the highest silhouette score among 2 to 6.",
                          "“自动”在 2 到 6 之间选择轮廓系数最高的聚类数量。"),
    "seg_treemap_title": ("Customers and revenue share by group", "各群体的客户数与收入占比"),
    "seg_revenue_share_axis": ("Share of revenue,<br>last 12 months", "近 12 个月<br>收入占比"),
    "seg_of_customers": ("of customers", "的客户"),
    "seg_of_revenue": ("of revenue", "的收入"),
    "seg_hover_customers": ("Customers: %{value:,} (%{customdata[0]:.1%})", "客户数：%{value:,}（%{customdata[0]:.1%}）"),
    "seg_hover_revenue": ("Revenue, last 12 months: {currency}%{{customdata[1]:,.0f}} (%{{customdata[2]:.1%}})",
                          "近 12 个月收入：{currency}%{{customdata[1]:,.0f}}（%{{customdata[2]:.1%}}）"),
    "seg_heatmap_title": ("Average spend by recency and frequency score", "按近度与频度评分的平均消费"),
    "seg_r_axis": ("Recency score R (5 = bought most recently)", "近度评分 R（5 = 最近购买）"),
    "seg_f_axis": ("Frequency score F (5 = buys most often)", "频度评分 F（5 = 购买最频繁）"),
    "seg_avg_spend_axis": ("Average net spend<br>to date ({currency})", "平均累计<br>净消费（{currency}）"),
    "seg_heat_hover_r": ("R score: %{x}", "R 评分：%{x}"),
    "seg_heat_hover_f": ("F score: %{y}", "F 评分：%{y}"),
    "seg_heat_hover_spend": ("Average net spend to date: {currency}%{{z:,.0f}}", "平均累计净消费：{currency}%{{z:,.0f}}"),
    "seg_heat_hover_count": ("Customers: %{customdata:,}", "客户数：%{customdata:,}"),
    "seg_profiles_heading": ("Group profiles", "群体画像"),
    "seg_profiles_note": ("Averages per customer of the group. Recency: days since the last purchase; frequency: "
                          "repeat purchase days; spend: net spend to date; CLV over the value horizon; P(alive): "
                          "the model's probability that the customer still buys.",
                          "均为群体内每位客户的平均值。近度：距最近一次购买的天数；频度：复购天数；消费：累计净消费；"
                          "CLV 为价值期限内的预测值；存活概率：模型估计的客户仍在购买的概率。"),
    "seg_col_group": ("Group", "群体"),
    "seg_col_customers": ("Customers", "客户数"),
    "seg_col_share": ("Share of customers", "客户占比"),
    "seg_col_recency": ("Days since last purchase", "距上次购买天数"),
    "seg_col_frequency": ("Repeat purchase days", "复购天数"),
    "seg_col_spend": ("Avg net spend to date ({currency})", "平均累计净消费（{currency}）"),
    "seg_col_spend_total": ("Net spend to date ({currency})", "累计净消费（{currency}）"),
    "seg_col_revenue_share": ("Share of revenue, last 12 months", "近 12 个月收入占比"),
    "seg_col_revenue_12m": ("Revenue, last 12 months ({currency})", "近 12 个月收入（{currency}）"),
    "seg_col_clv": ("CLV ({currency})", "终身价值 CLV（{currency}）"),
    "seg_col_p_alive": ("Avg P(alive)", "平均存活概率"),
    "seg_col_p_alive_fraction": ("P(alive)", "存活概率"),
    "seg_col_customer_id": ("Customer id", "客户编号"),
    "seg_members_heading": ("Members of a group", "群体成员"),
    "seg_members_label": ("Group", "群体"),
    "seg_members_count": ("{customers} customers in “{group}”, highest CLV first.",
                          "“{group}”共有 {customers} 位客户，按 CLV 从高到低排列。"),
    "seg_members_shown": ("The first {shown} are shown; the download has all of them.",
                          "页面显示前 {shown} 位；下载文件包含全部成员。"),
    "seg_download": ("Download members (CSV)", "下载成员名单（CSV）"),
    "seg_download_help": ("UTF-8 CSV for a campaign tool or Excel. Cells that a spreadsheet would run as a formula "
                          "are prefixed with a single quote.",
                          "UTF-8 编码的 CSV，可用于营销工具或 Excel。可能被表格软件当作公式执行的单元格前加了单引号。"),

    # --- retention & lifecycle ---
    "ret_title": ("Retention & lifecycle", "留存与生命周期"),
    "ret_intro": ("Do customers come back? Cohorts by the period of their first purchase, retention and churn over "
                  "time, and how customers move between lifecycle stages.",
                  "客户会回来吗？按首次购买周期划分的客户群、随时间变化的留存与流失，以及客户在生命周期阶段间的流动。"),
    "ret_grain_label": ("Periods", "周期"),
    "ret_cohorts_heading": ("Cohorts", "客户群（按获客周期）"),
    "ret_no_cohorts": ("No cohort has completed its first period by the as-of date.",
                       "截至分析日期，还没有客户群完成其首个周期。"),
    "ret_heat_customers_title": ("Customer retention by cohort", "各客户群的客户留存率"),
    "ret_heat_revenue_title": ("Revenue retention by cohort", "各客户群的收入留存率"),
    "ret_heat_value_customers": ("Customers active", "活跃客户占比"),
    "ret_heat_value_revenue": ("Revenue vs first period", "收入相对首个周期"),
    "ret_heat_hover": ("Cohort %{{y}}<br>{period} %{{x}} after the first<br>{value}: %{{z:.1%}}",
                       "客户群 %{{y}}<br>首个{period}之后第 %{{x}} 个{period}<br>{value}：%{{z:.1%}}"),
    "ret_periods_since_axis": ("{period}s since the first purchase", "距首次购买的{period}数"),
    "ret_cohort_axis": ("Cohort (first purchase, customers)", "客户群（首次购买，客户数）"),
    "ret_heat_note": ("Customer retention: share of the cohort's customers who bought in each period. Revenue "
                      "retention: the cohort's net revenue in each period as a share of its first period's. Blank "
                      "cells: periods the cohort has not reached by the as-of date (not churn).",
                      "客户留存率：客户群中在各周期有购买的客户占比。收入留存率：客户群在各周期的净收入相对其首个周期的比例。"
                      "空白单元格表示截至分析日期尚未到达的周期（不是流失）。"),
    "ret_curve_cohorts": ("Cohorts on the retention curves", "留存曲线显示的客户群"),
    "ret_curves_title": ("Retention curves: observed and projected", "留存曲线：实际与预测"),
    "ret_projected": ("{cohort}, projected", "{cohort}（预测）"),
    "ret_share_axis": ("Share of the cohort still buying (%)", "仍在购买的客户占比（%）"),
    "ret_curves_note": ("Solid: observed share of the cohort active in each period. Dashed: the shifted-beta-"
                        "geometric model (Fader & Hardie 2007) fitted to the observed curve, {periods} periods ahead. "
                        "The model assumes lost customers never return, so the projection is conservative.",
                        "实线：客户群各周期的实际活跃占比。虚线：对实际曲线拟合的移位贝塔几何模型（Fader & Hardie 2007），"
                        "向后预测 {periods} 个周期。该模型假设流失客户不会回来，因此预测偏保守。"),
    "ret_rates_heading": ("Retention, churn and repeat purchase over time", "留存、流失与复购的变化"),
    "ret_rates_title": ("Retention, churn and repeat-purchase rate per {period}", "每{period}的留存率、流失率与复购率"),
    "ret_rates_note": ("Retention: share of the previous period's buyers who bought again; churn = 1 - retention; "
                       "repeat-purchase rate: share of customers acquired so far who have bought on two or more days. "
                       "Only complete periods are drawn.",
                       "留存率：上一周期的购买客户中再次购买的比例；流失率 = 1 - 留存率；复购率：迄今获得的客户中"
                       "在两天或以上购买过的比例。只显示完整的周期。"),
    "ret_stages_heading": ("Lifecycle stages", "生命周期阶段"),
    "ret_stages_title": ("Customers by lifecycle stage", "各生命周期阶段的客户数"),
    "ret_customers_axis": ("Customers (count)", "客户数（人）"),
    "ret_stage_hover": ("%{x}: %{y:,} customers (%{customdata[0]:.1%})", "%{x}：%{y:,} 位客户（%{customdata[0]:.1%}）"),
    "ret_from_label": ("Compare stages with", "与此日期的阶段比较"),
    "ret_from_help": ("The earlier date of the stage transitions; the later one is the as-of date. Stages on that "
                      "date use only the data known then (the model is fitted again for it).",
                      "阶段流转的较早日期；较晚日期为分析日期。该日期的阶段只使用当时已知的数据（为此重新拟合模型）。"),
    "ret_sankey_title": ("Stage transitions from {start} to {end}", "从 {start} 到 {end} 的阶段流转"),
    "ret_sankey_hover": ("%{source.label} → %{target.label}: %{value:,} customers",
                         "%{source.label} → %{target.label}：%{value:,} 位客户"),
    "ret_sankey_too_short": ("The data cover too short a time to compare two dates.", "数据时间跨度太短，无法比较两个日期。"),
    "ret_stages_note": ("Stages: new (first purchase recent), exploration (few purchases), development (buying "
                        "more), stability, decline (buying less or overdue), lost (the model says they have "
                        "probably stopped buying). “Not yet a customer”: first purchase after the earlier date.",
                        "阶段：新客（首次购买不久）、探索期（购买次数少）、发展期（购买增加）、稳定期、衰退期（购买减少或逾期）、"
                        "流失（模型认为很可能已停止购买）。“尚未成为客户”：首次购买在较早日期之后。"),

    # --- customer value ---
    "val_title": ("Customer value", "客户价值"),
    "val_intro": ("What each customer is expected to bring in the future, from probabilistic models of purchases "
                  "and spend, and how far to trust them.",
                  "基于购买与消费的概率模型预测每位客户未来能带来的价值，以及这些预测的可信程度。"),
    "val_settings_heading": ("How value is measured (applies to every page)", "价值的衡量方式（适用于所有页面）"),
    "val_horizon_label": ("Horizon", "预测期限"),
    "val_months": ("{months} months", "{months} 个月"),
    "val_horizon_help": ("CLV counts the purchases expected over this many months from the as-of date.",
                         "CLV 计算自分析日期起这段时间内的预期购买。"),
    "val_margin_label": ("Gross margin", "毛利率"),
    "val_margin_help": ("Share of spend that is gross margin: CLV is margin, not revenue.",
                        "消费额中毛利所占比例：CLV 按毛利而非收入计算。"),
    "val_discount_label": ("Annual discount rate", "年折现率"),
    "val_discount_help": ("Future margin is discounted at this rate a year (money later is worth less).",
                          "未来毛利按此年利率折现（越晚的钱价值越低）。"),
    "val_model_label": ("Purchase model", "购买模型"),
    "val_model_help": ("BG/NBD (Fader, Hardie & Lee 2005) is fast and usually good; “Best on holdout” fits BG/NBD, "
                       "MBG/NBD and Pareto/NBD on the older part of the history and keeps the one that predicts the "
                       "last third best.",
                       "BG/NBD（Fader、Hardie 与 Lee 2005）速度快、通常效果好；“留出期最优”会在较早的历史上拟合 BG/NBD、"
                       "MBG/NBD 与 Pareto/NBD，并保留对最后三分之一时间预测最好的模型。"),
    "val_model_bgnbd": ("BG/NBD", "BG/NBD"),
    "val_model_mbgnbd": ("MBG/NBD", "MBG/NBD"),
    "val_model_pareto_nbd": ("Pareto/NBD", "Pareto/NBD"),
    "val_model_auto": ("Best on holdout", "留出期最优"),
    "val_scope": ("CLV: expected discounted gross margin per customer ({model}), as of {as_of}.",
                  "CLV：每位客户的预期折现毛利（{model}），截至 {as_of}。"),
    "val_unit_week": ("weeks", "周"),
    "val_card_customers": ("Customers valued", "已估值客户"),
    "val_card_average": ("Average CLV", "平均 CLV"),
    "val_card_purchases": ("Expected repeat purchases", "预期复购次数"),
    "val_card_purchases_help": ("Sum over the customers of the repeat purchases the model expects within the horizon.",
                                "模型预计这些客户在期限内的复购次数之和。"),
    "val_card_alive": ("Average P(alive)", "平均存活概率"),
    "val_card_alive_help": ("The model's probability that a customer still buys, averaged over the customers.",
                            "模型估计客户仍在购买的概率，对客户取平均。"),
    "val_log_label": ("Logarithmic CLV axis", "CLV 轴使用对数刻度"),
    "val_log_help": ("CLV is very skewed: a log axis shows the many small and the few large values together "
                     "(customers with a CLV of 0 are left out).",
                     "CLV 分布非常偏斜：对数轴可同时看清大量小值与少量大值（CLV 为 0 的客户不显示）。"),
    "val_hist_title": ("Customers by CLV ({horizon} months)", "按 CLV 的客户分布（{horizon} 个月）"),
    "val_clv_axis": ("CLV over {horizon} months ({currency})", "{horizon} 个月 CLV（{currency}）"),
    "val_hist_hover": ("CLV {currency}%{{customdata[0]:,.0f}} – {currency}%{{customdata[1]:,.0f}}: %{{y:,}} customers",
                       "CLV {currency}%{{customdata[0]:,.0f}} – {currency}%{{customdata[1]:,.0f}}：%{{y:,}} 位客户"),
    "val_alive_title": ("Probability alive by frequency and recency", "按频度与近度的存活概率"),
    "val_frequency_axis": ("Repeat purchase days (frequency)", "复购天数（频度）"),
    "val_recency_axis": ("Age at last purchase, recency ({unit})", "最后一次购买时的客户时长，近度（{unit}）"),
    "val_alive_hover": ("Frequency %{{x}}, recency %{{y}} {unit}<br>P(alive): %{{z:.0%}}<br>Customers: %{{customdata:,}}",
                        "频度 %{{x}}，近度 %{{y}} {unit}<br>存活概率：%{{z:.0%}}<br>客户数：%{{customdata:,}}"),
    "val_fit_heading": ("Model fit and checks", "模型拟合与检验"),
    "val_spinner_compare": ("Comparing purchase models on a holdout (once per dataset and date)…",
                            "正在用留出期比较购买模型（每个数据集和日期只需一次）……"),
    "val_calib_title": ("Predicted vs actual repeat purchases in the last {days} days", "最后 {days} 天的预测与实际复购次数"),
    "val_calib_x": ("Repeat purchase days before the holdout", "留出期之前的复购天数"),
    "val_calib_y": ("Mean repeat purchases in the holdout (per customer)", "留出期内人均复购次数"),
    "val_actual": ("Actual", "实际"),
    "val_calib_hover_actual": ("Actual: %{y:.2f} (%{customdata[0]:,} customers)", "实际：%{y:.2f}（%{customdata[0]:,} 位客户）"),
    "val_no_holdout": ("The history is too short to check the models on a holdout.", "历史太短，无法用留出期检验模型。"),
    "val_model_heading": ("The model in plain words", "模型说明"),
    "val_chosen_auto": ("**{model}** was chosen because it predicted the holdout best.",
                        "选择了 **{model}**，因为它对留出期的预测最好。"),
    "val_chosen_user": ("**{model}** is used, as chosen in the settings. The holdout check shows how each model "
                        "would have done.", "按设置使用 **{model}**。留出期检验显示了各模型的表现。"),
    "val_holdout_best": ("Fitted on the data up to {end} and asked to predict the last {days} days, **{best}** was "
                         "closest: off by {mae} repeat purchases per customer on average, {predicted} predicted "
                         "against {actual} actual in total.",
                         "用截至 {end} 的数据拟合并预测最后 {days} 天时，**{best}** 最接近：平均每位客户偏差 {mae} 次复购，"
                         "合计预测 {predicted} 次，实际 {actual} 次。"),
    "val_sufficient": ("Enough data for a trustworthy model: {repeat} customers ({share}) bought more than once, over "
                       "a long enough history.", "数据足以得到可信的模型：{repeat} 位客户（{share}）购买过不止一次，且历史足够长。"),
    "val_insufficient": ("The data are thin, so treat the values as rough guesses: {reasons}.",
                         "数据较少，请将这些价值视为粗略估计：{reasons}。"),
    "val_flag_no_customers": ("no customer bought before the as-of date", "分析日期之前没有客户购买"),
    "val_flag_few_repeat_buyers": ("only {repeat} customers bought more than once (100 or more are needed)",
                                   "只有 {repeat} 位客户购买过不止一次（至少需要 100 位）"),
    "val_flag_low_repeat_share": ("only {share} of customers bought more than once (10% or more are needed)",
                                  "只有 {share} 的客户购买过不止一次（至少需要 10%）"),
    "val_flag_short_history": ("a typical customer has been watched for less than three typical gaps between "
                               "purchases", "典型客户的观察时长不足三个典型购买间隔"),
    "val_no_spend_model": ("Too few repeat buyers to fit the spend model: every customer's expected spend is the "
                           "average repeat-purchase spend.", "复购客户太少，无法拟合消费模型：每位客户的预期消费取平均复购消费。"),
    "val_params_heading": ("Parameters (maximum likelihood, with standard errors)", "参数（最大似然估计及标准误）"),
    "val_col_model": ("Model", "模型"),
    "val_col_param": ("Parameter", "参数"),
    "val_col_meaning": ("Meaning", "含义"),
    "val_col_estimate": ("Estimate", "估计值"),
    "val_col_se": ("Standard error", "标准误"),
    "val_param_bgnbd_r": ("shape of the purchase rate across customers", "客户间购买率分布的形状参数"),
    "val_param_bgnbd_alpha": ("scale of the purchase rate (r / alpha = mean purchases per week)",
                              "购买率的尺度参数（r / alpha = 平均每周购买次数）"),
    "val_param_bgnbd_a": ("dropout probability after a purchase, Beta(a, b)", "每次购买后流失概率的 Beta(a, b) 参数 a"),
    "val_param_bgnbd_b": ("dropout probability, Beta(a, b): mean a / (a + b)", "流失概率的 Beta(a, b) 参数 b：均值 a / (a + b)"),
    "val_param_pareto_r": ("shape of the purchase rate across customers", "客户间购买率分布的形状参数"),
    "val_param_pareto_alpha": ("scale of the purchase rate", "购买率的尺度参数"),
    "val_param_pareto_s": ("shape of the dropout rate across customers", "客户间流失率分布的形状参数"),
    "val_param_pareto_beta": ("scale of the dropout rate", "流失率的尺度参数"),
    "val_param_gg_p": ("shape of the spend per purchase", "每次消费金额的形状参数"),
    "val_param_gg_q": ("shape of how average spend varies across customers", "客户间平均消费差异的形状参数"),
    "val_param_gg_v": ("scale of how average spend varies across customers", "客户间平均消费差异的尺度参数"),
    "val_col_loglik": ("Log-likelihood (calibration)", "对数似然（校准期）"),
    "val_col_mae": ("Mean absolute error", "平均绝对误差"),
    "val_col_rmse": ("RMSE", "均方根误差"),
    "val_col_predicted": ("Predicted purchases", "预测购买次数"),
    "val_col_actual": ("Actual purchases", "实际购买次数"),
    "val_holdout_note": ("Holdout check: each model is fitted on the history before the last third and predicts the "
                         "repeat purchases of the last third; errors are per customer. All customers are used, "
                         "whatever the filters.",
                         "留出期检验：每个模型用最后三分之一之前的历史拟合，并预测最后三分之一时间的复购；误差按每位客户计算。"
                         "检验使用全部客户，不受筛选影响。"),
    "val_top_heading": ("Top {n} customers by CLV", "CLV 最高的 {n} 位客户"),
    "val_col_expected": ("Expected repeat purchases", "预期复购次数"),
    "val_col_spend": ("Expected spend per purchase ({currency})", "预期每次消费（{currency}）"),
}

"""Segments page on the real demo data: groupings, profiles, members and the campaign export."""
from __future__ import annotations

from custlib import export


PAGE = "pages/segments.py"


def profiles(at):
    return next(df.value for df in at.dataframe if "Group" in df.value.columns and "Avg P(alive)" in df.value.columns)


def members(at):
    return next(df.value for df in at.dataframe if "Customer id" in df.value.columns)


def test_segments_page_shows_rfm_segments_of_every_customer(demo, start_app, chart_specs):
    at = start_app(page=PAGE)
    assert at.title[0].value == "Segments"
    table = profiles(at)
    assert table["Customers"].sum() == 2_500
    assert table["Share of customers"].sum() == __import__("pytest").approx(100.0)
    assert "Champions" in table["Group"].tolist()
    specs = chart_specs(at)
    assert set(specs) == {"Customers and revenue share by group", "Average spend by recency and frequency score"}
    heat = specs["Average spend by recency and frequency score"]
    assert heat["layout"]["xaxis"]["title"]["text"].startswith("Recency score R")


def test_grouping_selector_changes_the_profile_table(demo, start_app):
    at = start_app(page=PAGE)
    assert len(profiles(at)) == 11 or len(profiles(at)) <= 11
    at.segmented_control(key="segments_grouping").set_value("tier").run()
    assert not at.exception
    table = profiles(at)
    assert table["Group"].tolist() == ["Core", "Potential", "Low value"]
    assert table["Customers"].tolist() == [500, 750, 1250]     # 20% / 30% / 50% of 2,500
    assert table["CLV (¥)"].is_monotonic_decreasing
    at.segmented_control(key="segments_grouping").set_value("cluster").run()
    at.selectbox(key="segments_clusters").set_value(4).run()
    assert not at.exception
    groups = profiles(at)["Group"].tolist()
    assert len(groups) == 4 and groups[0].startswith("Cluster 1: ")


def test_members_of_a_group_and_their_export(demo, start_app):
    at = start_app(page=PAGE)
    at.selectbox(key="segments_member_group").set_value("Lost").run()
    table = members(at)
    assert {"Customer id", "Name", "Email", "CLV (¥)"} <= set(table.columns)   # the demo has names and emails
    assert set(table["RFM segment"]) == {"Lost"}
    count = profiles(at).set_index("Group").loc["Lost", "Customers"]
    assert len(table) == count
    assert at.get("download_button")[0].proto.label == "Download members (CSV)"
    csv = export.csv_bytes(table).decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("Customer id,Name,Email")


def test_a_filter_reduces_the_customers(demo, start_app):
    at = start_app()
    at.multiselect(key="sidebar_filter_company_size").set_value(["1000+"]).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    total = profiles(at)["Customers"].sum()
    assert 0 < total < 2_500 / 5
    assert "Filters: Company size: 1000+." in at.caption[1].value
    assert f"{total:,} customers" in at.caption[1].value


def test_segments_in_chinese(demo, start_app, chart_specs):
    at = start_app(page=PAGE, language="zh")
    assert at.title[0].value == "客户分群"
    assert "冠军客户" in next(df.value for df in at.dataframe if "群体" in df.value.columns)["群体"].tolist()
    assert "各群体的客户数与收入占比" in chart_specs(at)

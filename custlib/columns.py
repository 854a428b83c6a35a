"""Which column of an uploaded file holds which field: automatic mapping from English and Chinese headers.

Real exports name columns in many ways (客户编号, 下单时间, 实付金额 (元), Customer ID, ...).
``guess_mapping`` proposes a mapping; the user can override any part of it.
"""
from __future__ import annotations

import re
import unicodedata

from .db import REQUIRED_COLUMNS, TABLE_COLUMNS
from .errors import ImportRejected

_CUSTOMER_ID = ["customerid", "custid", "customer", "customerno", "customernumber", "customercode", "clientid",
                "client", "clientno", "userid", "user", "memberid", "member", "memberno", "buyerid", "buyer",
                "accountid", "accountno", "contactid", "shopperid",
                "客户id", "客户编号", "客户号", "客户代码", "客户编码", "会员id", "会员编号", "会员号", "会员卡号",
                "用户id", "用户编号", "买家id", "买家", "买家账号", "客户", "顾客id", "顾客编号"]

SYNONYMS: dict[str, dict[str, list[str]]] = {
    "transactions": {
        "customer_id": _CUSTOMER_ID,
        "order_id": ["orderid", "orderno", "ordernumber", "ordercode", "order", "invoiceid", "invoiceno", "invoice",
                     "invoicenumber", "transactionid", "txnid", "receiptno", "receiptid",
                     "订单号", "订单编号", "订单id", "单号", "交易号", "交易编号", "流水号", "发票号", "订单"],
        "order_date": ["orderdate", "date", "orderdatetime", "ordertime", "purchasedate", "purchasetime",
                       "transactiondate", "transactiontime", "txndate", "invoicedate", "saledate", "salesdate",
                       "paidat", "paymentdate", "orderedat", "createdat", "datetime", "timestamp",
                       "订单日期", "下单时间", "下单日期", "日期", "交易日期", "交易时间", "付款时间", "付款日期",
                       "支付时间", "支付日期", "成交时间", "成交日期", "购买日期", "购买时间", "销售日期", "订单时间",
                       "创建时间"],
        "amount": ["amount", "orderamount", "netamount", "revenue", "sales", "salesamount", "total", "totalamount",
                   "value", "ordervalue", "paid", "paidamount", "payment", "paymentamount", "netsales", "spend",
                   "金额", "订单金额", "实付金额", "支付金额", "付款金额", "实收金额", "销售额", "销售金额", "成交金额",
                   "交易金额", "应付金额", "总金额", "订单总额", "实付款", "实付"],
        "quantity": ["quantity", "qty", "units", "items", "numberofitems", "数量", "购买数量", "件数", "销量",
                     "商品数量"],
        "channel": ["channel", "saleschannel", "orderchannel", "source", "渠道", "销售渠道", "下单渠道", "来源"],
        "category": ["category", "productcategory", "categoryname", "类目", "品类", "商品类目", "分类", "商品分类",
                     "类别"],
        "product": ["product", "productname", "item", "itemname", "sku", "productid", "商品", "商品名称", "产品",
                    "产品名称", "商品编号", "商品名"],
        "region": ["region", "area", "province", "city", "state", "country", "地区", "区域", "省份", "城市", "大区",
                   "省"],
        "is_promo": ["ispromo", "promo", "promotion", "promotional", "onpromotion", "ispromotion", "促销",
                     "是否促销", "活动", "是否活动", "活动订单"],
        "discount_amount": ["discount", "discountamount", "promoamount", "couponamount", "markdown",
                            "优惠金额", "折扣金额", "优惠", "折扣", "优惠券金额", "优惠券"],
    },
    "customers": {
        "customer_id": _CUSTOMER_ID,
        "name": ["name", "customername", "fullname", "contactname", "companyname", "clientname",
                 "姓名", "客户名称", "客户姓名", "名称", "联系人", "公司名称", "客户名"],
        "email": ["email", "mail", "emailaddress", "e-mail", "邮箱", "电子邮箱", "邮件", "邮箱地址"],
        "phone": ["phone", "mobile", "tel", "telephone", "phonenumber", "mobilephone", "cellphone",
                  "手机", "手机号", "电话", "联系电话", "手机号码", "电话号码"],
        "signup_date": ["signupdate", "signup", "registrationdate", "registeredat", "registerdate", "createdat",
                        "joindate", "joined", "since", "customersince", "注册日期", "注册时间", "开户日期",
                        "入会日期", "创建时间", "建档日期"],
        "region": ["region", "area", "province", "city", "state", "country", "地区", "区域", "省份", "城市",
                   "大区", "省"],
        "industry": ["industry", "sector", "vertical", "行业", "所属行业", "行业类别"],
        "company_size": ["companysize", "size", "employees", "headcount", "employeecount",
                         "公司规模", "规模", "企业规模", "员工人数", "人数规模"],
        "account_manager": ["accountmanager", "owner", "accountowner", "salesrep", "rep", "manager", "am",
                            "客户经理", "销售", "负责人", "归属销售", "客户负责人", "销售代表", "对接人", "跟进人"],
    },
    "interactions": {
        "customer_id": _CUSTOMER_ID,
        "interaction_at": ["interactionat", "timestamp", "time", "datetime", "date", "createdat", "interactiondate",
                           "contactdate", "时间", "日期", "互动时间", "联系时间", "记录时间", "创建时间", "回访时间"],
        "kind": ["kind", "type", "interactiontype", "activitytype", "channel", "类型", "互动类型", "方式",
                 "联系方式", "类别"],
        "nps_score": ["nps", "npsscore", "recommend", "likelihoodtorecommend", "推荐值", "推荐分", "nps评分",
                      "净推荐值", "推荐意愿"],
        "satisfaction": ["satisfaction", "csat", "satisfactionscore", "满意度", "满意度评分", "满意度得分"],
        "note": ["note", "notes", "comment", "comments", "remark", "remarks", "description",
                 "备注", "内容", "说明", "记录"],
    },
}


def normalise_header(name: str) -> str:
    """Fold width and case, drop units in brackets and separators: "实付金额（元）" -> "实付金额"."""
    text = unicodedata.normalize("NFKC", str(name)).strip().lower()
    text = re.sub(r"[(\[{].*?[)\]}]", "", text)
    return re.sub(r"[\s_\-./:#]+", "", text)


def guess_mapping(headers: list[str], table: str) -> dict[str, int]:
    """Field -> 0-based column index, from the headers alone. Each column is used once.

    Exact synonym matches win; then a header that contains a synonym (e.g. "订单实付金额").
    """
    synonyms = SYNONYMS[table]
    normalised = [normalise_header(h) for h in headers]
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for field, words in synonyms.items():
        for word in words:
            hits = [i for i, h in enumerate(normalised) if h == word and i not in used]
            if hits:
                mapping[field] = hits[0]
                used.add(hits[0])
                break
    all_exact = {word for words in synonyms.values() for word in words}
    for field, words in synonyms.items():
        if field in mapping:
            continue
        for word in words:
            if len(word) < (2 if not word.isascii() else 4):
                continue
            hits = [i for i, h in enumerate(normalised)
                    if i not in used and word in h and h not in all_exact]
            if hits:
                mapping[field] = hits[0]
                used.add(hits[0])
                break
    return mapping


def parse_map_option(text: str | None) -> dict[str, str]:
    """``customer_id=ID,order_date=date`` -> {"customer_id": "ID", "order_date": "date"}."""
    result: dict[str, str] = {}
    if not text:
        return result
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise ImportRejected(code="import_map_without_equals", params={"part": part.strip()})
        field, column = part.split("=", 1)
        result[field.strip()] = column.strip()
    return result


def resolve_mapping(headers: list[str], table: str, overrides: dict[str, str | int] | None,
                    file_label: str) -> dict[str, int]:
    """The final field -> column index mapping: the guess, with the user's overrides applied.

    An override names a column by its header or by its 1-based position. Raises ImportRejected
    naming what is missing and what the file has.
    """
    known = TABLE_COLUMNS[table]
    mapping = guess_mapping(headers, table)
    for field, column in (overrides or {}).items():
        if field not in known:
            raise ImportRejected(code="import_unknown_field", prefix=file_label,
                                 params={"field": field, "table": table, "fields": ", ".join(known)})
        if column is None or column == "":
            mapping.pop(field, None)
            continue
        index = _column_index(headers, column)
        if index is None:
            raise ImportRejected(kind="unknown_column", code="import_unknown_column", prefix=file_label,
                                 params={"field": field, "column": column, "columns": _describe_headers(headers)})
        for other, other_column in (overrides or {}).items():
            if other < field and other_column not in (None, "") and _column_index(headers, other_column) == index:
                raise ImportRejected(code="import_column_twice", prefix=file_label,
                                     params={"column": headers[index], "other": other, "field": field})
        for other, other_index in list(mapping.items()):
            if other_index == index and other != field:
                del mapping[other]
        mapping[field] = index
    missing = [f for f in REQUIRED_COLUMNS[table] if f not in mapping]
    if missing:
        looked_for = "; ".join(f"{f}: {', '.join(SYNONYMS[table][f][:6])}, ..." for f in missing)
        # one column read: the delimiter is the likelier mistake than the names
        code = "import_missing_column_one_column" if len(headers) == 1 else "import_missing_column"
        raise ImportRejected(kind="missing_column", code=code, prefix=file_label, params={
            "missing": ", ".join(missing), "looked_for": looked_for, "columns": _describe_headers(headers),
            "first": missing[0]})
    return mapping


def _column_index(headers: list[str], column: str | int) -> int | None:
    if isinstance(column, int):
        return column - 1 if 1 <= column <= len(headers) else None
    if column in headers:
        return headers.index(column)
    wanted = normalise_header(column)
    matches = [i for i, h in enumerate(headers) if normalise_header(h) == wanted]
    if matches:
        return matches[0]
    if column.strip().isascii() and column.strip().isdigit():  # not "²", which int() refuses
        position = int(column)
        return position - 1 if 1 <= position <= len(headers) else None
    return None


def _describe_headers(headers: list[str], limit: int = 12, width: int = 60) -> str:
    """``1:'Customer', 2:'Date', ...``: the first ``limit`` headers, each cut to ``width`` characters."""
    shown = ", ".join(f"{i + 1}:{h if len(h) <= width else h[:width] + '…'!r}" for i, h in enumerate(headers[:limit]))
    return shown + (f", ... ({len(headers)} in all)" if len(headers) > limit else "")

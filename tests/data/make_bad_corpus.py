"""Writes the corpus of bad input files in tests/data/bad/ (committed; rerun to regenerate).

Each file is broken in one way real exports are; tests/test_io_bad_files.py says
what message each must produce.
"""
from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pandas as pd

BAD = Path(__file__).with_name("bad")
GOOD_HEADER = "customer_id,order_id,order_date,amount\n"


def write(name: str, content: str | bytes) -> None:
    path = BAD / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)


def main() -> None:
    BAD.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20261125)
    write("empty.csv", b"")
    write("header_only.csv", GOOD_HEADER)
    write("blank_lines_only.csv", "\n\n   \n\n")
    write("missing_amount_column.csv", "customer_id,order_id,order_date\nc1,o1,2024-01-05\nc2,o2,2024-01-06\n")
    write("unparseable_dates.csv", GOOD_HEADER + "c1,o1,2024-01-05,10\nc2,o2,yesterday,20\nc3,o3,2024-01-07,30\n")
    write("text_in_amounts.csv", GOOD_HEADER + "c1,o1,2024-01-05,10.50\nc2,o2,2024-01-06,ten dollars\n")
    write("duplicate_order_ids.csv", GOOD_HEADER + "c1,o1,2024-01-05,10\nc2,o1,2024-01-05,12\nc3,o3,2024-01-06,9\n")
    write("binary_junk.csv", bytes(rng.getrandbits(8) for _ in range(4096)) + b"\x00\x00")
    write("wrong_delimiter.csv", "customer_id#order_date#amount\nc1#2024-01-05#10\nc2#2024-01-06#11\n")
    write("mixed_encodings.csv", "客户编号,下单时间,实付金额,备注\n".encode("utf-8")
          + "c1,2024-01-05,10,新客户\n".encode("utf-8") + "c2,2024-01-06,11,老客户\n".encode("gbk"))
    write("missing_customer_id.csv", GOOD_HEADER + "c1,o1,2024-01-05,10\n,o2,2024-01-06,11\n")
    write("year_9999.csv", GOOD_HEADER + "c1,o1,2024-01-05,10\nc2,o2,9999-12-31,11\n")
    write("amount_1e308.csv", GOOD_HEADER + "c1,o1,2024-01-05,10\nc2,o2,2024-01-06,1e308\n")
    write("nan_amounts.csv", GOOD_HEADER + "c1,o1,2024-01-05,NaN\nc2,o2,2024-01-06,inf\n")
    write("ragged_rows.csv", GOOD_HEADER + "c1,o1,2024-01-05,10\nc2,o2,2024-01-06,11,extra,fields\n"
          "c3,o3,2024-01-07,12\n")
    write("unterminated_quote.csv", GOOD_HEADER + 'c1,o1,2024-01-05,10\nc2,"o2,2024-01-06,11\nc3,o3,2024-01-07,12\n')
    write("ambiguous_dates.csv", "customer_id,order_date,amount\nc1,03/04/2024,10\nc2,05/06/2024,11\n")
    write("mixed_date_orders.csv", "customer_id,order_date,amount\nc1,13/01/2024,10\nc2,01/13/2024,11\n")
    write("bad_promo_flag.csv", "customer_id,order_date,amount,is_promo\nc1,2024-01-05,10,yes\n"
          "c2,2024-01-06,11,maybe\n")
    write("interactions_bad_nps.csv", "customer_id,timestamp,kind,nps\nc1,2024-01-05 10:00:00,survey,9\n"
          "c2,2024-01-06 11:00:00,survey,11\n")
    write("interactions_bad_kind.csv", "customer_id,timestamp,kind\nc1,2024-01-05 10:00:00,call\n"
          "c2,2024-01-06 11:00:00,telepathy\n")
    write("old_format.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    write("text_named.xlsx", GOOD_HEADER + "c1,o1,2024-01-05,10\n")
    write("corrupt.parquet", b"PAR1" + bytes(rng.getrandbits(8) for _ in range(256)) + b"PAR1")
    write("utf16_without_bom.csv", (GOOD_HEADER + "c1,o1,2024-01-05,10\n").encode("utf-16-le"))

    good = io.BytesIO()
    pd.DataFrame({"customer_id": ["c1"], "order_date": ["2024-01-05"], "amount": [10]}).to_excel(good, index=False)
    write("truncated.xlsx", good.getvalue()[: len(good.getvalue()) // 2])
    empty = io.BytesIO()
    pd.DataFrame().to_excel(empty, index=False)
    write("empty_sheet.xlsx", empty.getvalue())
    with zipfile.ZipFile(BAD / "not_a_workbook.xlsx", "w") as archive:
        archive.writestr("readme.txt", "a zip file that is not a workbook")


if __name__ == "__main__":
    main()

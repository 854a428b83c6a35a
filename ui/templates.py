"""CSV templates users can download and fill in: the canonical columns of each table, two example rows.

Built from custlib.db.TABLE_COLUMNS, so a new column appears in its template automatically
(with an empty example until one is added to EXAMPLES).
"""
from __future__ import annotations

import csv
import io

from custlib import db

EXAMPLES: dict[str, list[dict[str, str]]] = {
    "transactions": [
        {"customer_id": "C0001", "order_id": "SO-10001", "order_date": "2024-03-05", "amount": "1280.00",
         "quantity": "2", "channel": "online", "category": "Coffee", "product": "House blend 1kg",
         "region": "Shanghai", "is_promo": "false", "discount_amount": "0"},
        {"customer_id": "C0002", "order_id": "SO-10002", "order_date": "2024-03-06", "amount": "-150.00",
         "quantity": "1", "channel": "store", "category": "Equipment", "product": "Milk jug",
         "region": "Beijing", "is_promo": "true", "discount_amount": "20.00"},
    ],
    "customers": [
        {"customer_id": "C0001", "name": "Blue Bottle Café", "email": "orders@example.com",
         "phone": "+86 21 5555 0101", "signup_date": "2023-11-20", "region": "Shanghai",
         "industry": "Café", "company_size": "11-50", "account_manager": "Li Wei"},
        {"customer_id": "C0002", "name": "Wang Fang", "email": "wang.fang@example.com",
         "phone": "+86 10 5555 0102", "signup_date": "2024-01-08", "region": "Beijing",
         "industry": "", "company_size": "Individual", "account_manager": ""},
    ],
    "interactions": [
        {"customer_id": "C0001", "interaction_at": "2024-03-07 10:30:00", "kind": "survey", "nps_score": "9",
         "satisfaction": "5", "note": "Happy with delivery times"},
        {"customer_id": "C0002", "interaction_at": "2024-03-08 15:05:00", "kind": "complaint", "nps_score": "",
         "satisfaction": "2", "note": "Milk jug arrived dented"},
    ],
}


def template_csv(table: str) -> bytes:
    """A UTF-8 (with BOM, so Excel shows Chinese correctly) CSV with the header of ``table`` and two rows."""
    columns = list(db.TABLE_COLUMNS[table])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for example in EXAMPLES.get(table, []):
        writer.writerow({column: example.get(column, "") for column in columns})
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")

"""Parts (WMS+SRM): catalogue, warehouses and bins, lots, the stock ledger, reservations,
suppliers, purchase orders, goods receipts and supplier invoices.

Revision ID: 2026_11_26_parts
Revises: 2026_11_26_dms_foundation
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "2026_11_26_parts"
down_revision = "2026_11_26_dms_foundation"
branch_labels = None
depends_on = None

# Children before parents, for the downgrade.
TABLES = (
    "stock_moves",
    "supplier_invoice_lines",
    "goods_receipt_lines",
    "supplier_invoices",
    "purchase_order_lines",
    "goods_receipts",
    "stock_items",
    "purchase_orders",
    "part_reservations",
    "warehouse_bins",
    "stock_lots",
    "warehouses",
    "parts",
    "suppliers",
)


def upgrade() -> None:
    op.create_table(
        "suppliers",
        sa.Column("dealer_group_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("lead_time_days", sa.SmallInteger(), server_default=sa.text("3"), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('oem', 'third_party')", name=op.f("ck_suppliers_kind")),
        sa.CheckConstraint("lead_time_days >= 0", name=op.f("ck_suppliers_lead_time_days")),
        sa.ForeignKeyConstraint(
            ["dealer_group_id"],
            ["dealer_groups.id"],
            name=op.f("fk_suppliers_dealer_group_id_dealer_groups"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppliers")),
        sa.UniqueConstraint(
            "dealer_group_id", "code", name=op.f("uq_suppliers_dealer_group_id_code")
        ),
    )
    op.create_index(
        op.f("ix_suppliers_dealer_group_id"), "suppliers", ["dealer_group_id"], unique=False
    )
    op.create_table(
        "parts",
        sa.Column("dealer_group_id", sa.BigInteger(), nullable=False),
        sa.Column("part_number", sa.String(length=40), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=10),
            nullable=False,
            comment="fluid, battery, tyre: lots expire",
        ),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("list_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("standard_cost", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "shelf_life_days",
            sa.Integer(),
            nullable=True,
            comment="Default expiry of a received lot when the supplier gives none",
        ),
        sa.Column("fits", sa.String(length=200), nullable=True, comment="Vehicles the part fits"),
        sa.Column("superseded_by_id", sa.BigInteger(), nullable=True),
        sa.Column("preferred_supplier_id", sa.BigInteger(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "category IN ('filter', 'fluid', 'ignition', 'electrical', 'battery', 'brake', "
            "'tyre', 'cooling', 'exhaust', 'engine', 'suspension', 'body', 'wiper', "
            "'lighting')",
            name=op.f("ck_parts_category"),
        ),
        sa.CheckConstraint(
            "kind IN ('standard', 'fluid', 'battery', 'tyre')", name=op.f("ck_parts_kind")
        ),
        sa.CheckConstraint(
            "unit IN ('piece', 'set', 'bottle', 'litre', 'kit', 'pair')", name=op.f("ck_parts_unit")
        ),
        sa.CheckConstraint("list_price >= 0 AND standard_cost >= 0", name=op.f("ck_parts_prices")),
        sa.CheckConstraint(
            "shelf_life_days IS NULL OR shelf_life_days > 0", name=op.f("ck_parts_shelf_life")
        ),
        sa.CheckConstraint(
            "superseded_by_id IS NULL OR superseded_by_id <> id", name=op.f("ck_parts_supersession")
        ),
        sa.ForeignKeyConstraint(
            ["dealer_group_id"],
            ["dealer_groups.id"],
            name=op.f("fk_parts_dealer_group_id_dealer_groups"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["preferred_supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_parts_preferred_supplier_id_suppliers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["parts.id"],
            name=op.f("fk_parts_superseded_by_id_parts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parts")),
        sa.UniqueConstraint(
            "dealer_group_id", "part_number", name=op.f("uq_parts_dealer_group_id_part_number")
        ),
    )
    op.create_index(op.f("ix_parts_category"), "parts", ["category"], unique=False)
    op.create_index(op.f("ix_parts_dealer_group_id"), "parts", ["dealer_group_id"], unique=False)
    op.create_index(
        op.f("ix_parts_preferred_supplier_id"), "parts", ["preferred_supplier_id"], unique=False
    )
    op.create_table(
        "warehouses",
        sa.Column("dealer_group_id", sa.BigInteger(), nullable=False),
        sa.Column("store_id", sa.BigInteger(), nullable=True),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column(
            "parent_id",
            sa.BigInteger(),
            nullable=True,
            comment="The warehouse that replenishes this one",
        ),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(level = 'store') = (store_id IS NOT NULL)", name=op.f("ck_warehouses_store_level")
        ),
        sa.CheckConstraint(
            "level IN ('hq', 'regional', 'store')", name=op.f("ck_warehouses_level")
        ),
        sa.ForeignKeyConstraint(
            ["dealer_group_id"],
            ["dealer_groups.id"],
            name=op.f("fk_warehouses_dealer_group_id_dealer_groups"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["warehouses.id"],
            name=op.f("fk_warehouses_parent_id_warehouses"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_warehouses_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouses")),
        sa.UniqueConstraint(
            "dealer_group_id", "code", name=op.f("uq_warehouses_dealer_group_id_code")
        ),
    )
    op.create_index(
        op.f("ix_warehouses_dealer_group_id"), "warehouses", ["dealer_group_id"], unique=False
    )
    op.create_index(op.f("ix_warehouses_store_id"), "warehouses", ["store_id"], unique=False)
    op.create_table(
        "stock_lots",
        sa.Column("part_id", sa.BigInteger(), nullable=False),
        sa.Column("lot_number", sa.String(length=40), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True, comment="Usable through this day"),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("supplier_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "unit_cost",
            sa.Numeric(precision=14, scale=4),
            nullable=False,
            comment="Purchase price plus freight",
        ),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["part_id"], ["parts.id"], name=op.f("fk_stock_lots_part_id_parts"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_stock_lots_supplier_id_suppliers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_lots")),
        sa.UniqueConstraint("part_id", "lot_number", name=op.f("uq_stock_lots_part_id_lot_number")),
    )
    op.create_index(op.f("ix_stock_lots_supplier_id"), "stock_lots", ["supplier_id"], unique=False)
    op.create_table(
        "warehouse_bins",
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "code", sa.String(length=20), nullable=False, comment="Aisle-rack-shelf, e.g. A-03-2"
        ),
        sa.Column("description", sa.String(length=100), nullable=True),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_warehouse_bins_warehouse_id_warehouses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouse_bins")),
        sa.UniqueConstraint(
            "warehouse_id", "code", name=op.f("uq_warehouse_bins_warehouse_id_code")
        ),
    )
    op.create_table(
        "part_reservations",
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "store_id",
            sa.BigInteger(),
            nullable=True,
            comment="The warehouse's store (NULL for group warehouses); scopes the audit rows",
        ),
        sa.Column("part_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column(
            "issued_quantity",
            sa.Numeric(precision=12, scale=3),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column(
            "reference_type", sa.String(length=30), nullable=False, comment="e.g. work_order_line"
        ),
        sa.Column("reference_id", sa.BigInteger(), nullable=False),
        sa.Column("needed_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('active', 'issued', 'released')", name=op.f("ck_part_reservations_status")
        ),
        sa.CheckConstraint(
            "quantity > 0 AND issued_quantity >= 0 AND issued_quantity <= quantity",
            name=op.f("ck_part_reservations_quantities"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_part_reservations_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["parts.id"],
            name=op.f("fk_part_reservations_part_id_parts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_part_reservations_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_part_reservations_warehouse_id_warehouses"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_part_reservations")),
    )
    op.create_index(
        "ix_part_reservations_active",
        "part_reservations",
        ["warehouse_id", "part_id"],
        unique=False,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "ix_part_reservations_reference",
        "part_reservations",
        ["reference_type", "reference_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_part_reservations_store_id"), "part_reservations", ["store_id"], unique=False
    )
    op.create_table(
        "purchase_orders",
        sa.Column("dealer_group_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "store_id",
            sa.BigInteger(),
            nullable=True,
            comment="The warehouse's store (NULL for group warehouses)",
        ),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column("supplier_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'sent', 'confirmed', 'partly_received', 'received', "
            "'closed', 'cancelled')",
            name=op.f("ck_purchase_orders_status"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_purchase_orders_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dealer_group_id"],
            ["dealer_groups.id"],
            name=op.f("fk_purchase_orders_dealer_group_id_dealer_groups"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_purchase_orders_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_purchase_orders_supplier_id_suppliers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_purchase_orders_warehouse_id_warehouses"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_purchase_orders_number")),
    )
    op.create_index(
        op.f("ix_purchase_orders_dealer_group_id"),
        "purchase_orders",
        ["dealer_group_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_purchase_orders_store_id"), "purchase_orders", ["store_id"], unique=False
    )
    op.create_index(
        op.f("ix_purchase_orders_supplier_id"), "purchase_orders", ["supplier_id"], unique=False
    )
    op.create_index(
        op.f("ix_purchase_orders_warehouse_id"), "purchase_orders", ["warehouse_id"], unique=False
    )
    op.create_table(
        "stock_items",
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column("part_id", sa.BigInteger(), nullable=False),
        sa.Column("bin_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "min_qty",
            sa.Numeric(precision=12, scale=3),
            server_default=sa.text("0"),
            nullable=False,
            comment="Safety stock: below it is urgent",
        ),
        sa.Column(
            "reorder_point",
            sa.Numeric(precision=12, scale=3),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "max_qty",
            sa.Numeric(precision=12, scale=3),
            server_default=sa.text("0"),
            nullable=False,
            comment="A reorder fills up to this",
        ),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "min_qty >= 0 AND min_qty <= reorder_point AND reorder_point <= max_qty",
            name=op.f("ck_stock_items_policy"),
        ),
        sa.ForeignKeyConstraint(
            ["bin_id"],
            ["warehouse_bins.id"],
            name=op.f("fk_stock_items_bin_id_warehouse_bins"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["parts.id"],
            name=op.f("fk_stock_items_part_id_parts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_stock_items_warehouse_id_warehouses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_items")),
        sa.UniqueConstraint(
            "warehouse_id", "part_id", name=op.f("uq_stock_items_warehouse_id_part_id")
        ),
    )
    op.create_index(op.f("ix_stock_items_part_id"), "stock_items", ["part_id"], unique=False)
    op.create_table(
        "goods_receipts",
        sa.Column("purchase_order_id", sa.BigInteger(), nullable=False),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column("delivery_note", sa.String(length=60), nullable=True),
        sa.Column(
            "freight_amount",
            sa.Numeric(precision=12, scale=2),
            server_default=sa.text("0"),
            nullable=False,
            comment="Allocated to lines by value",
        ),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("freight_amount >= 0", name=op.f("ck_goods_receipts_freight_amount")),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_goods_receipts_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_goods_receipts_purchase_order_id_purchase_orders"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_goods_receipts_warehouse_id_warehouses"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goods_receipts")),
    )
    op.create_index(
        op.f("ix_goods_receipts_purchase_order_id"),
        "goods_receipts",
        ["purchase_order_id"],
        unique=False,
    )
    op.create_table(
        "purchase_order_lines",
        sa.Column("purchase_order_id", sa.BigInteger(), nullable=False),
        sa.Column("part_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "quantity > 0 AND unit_price >= 0", name=op.f("ck_purchase_order_lines_values")
        ),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["parts.id"],
            name=op.f("fk_purchase_order_lines_part_id_parts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_purchase_order_lines_purchase_order_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_lines")),
        sa.UniqueConstraint(
            "purchase_order_id",
            "part_id",
            name=op.f("uq_purchase_order_lines_purchase_order_id_part_id"),
        ),
    )
    op.create_index(
        op.f("ix_purchase_order_lines_part_id"), "purchase_order_lines", ["part_id"], unique=False
    )
    op.create_table(
        "supplier_invoices",
        sa.Column("dealer_group_id", sa.BigInteger(), nullable=False),
        sa.Column("store_id", sa.BigInteger(), nullable=True),
        sa.Column("supplier_id", sa.BigInteger(), nullable=False),
        sa.Column("purchase_order_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("match_status", sa.String(length=10), nullable=False),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "match_status IN ('matched', 'mismatch')",
            name=op.f("ck_supplier_invoices_match_status"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_supplier_invoices_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dealer_group_id"],
            ["dealer_groups.id"],
            name=op.f("fk_supplier_invoices_dealer_group_id_dealer_groups"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_supplier_invoices_purchase_order_id_purchase_orders"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_supplier_invoices_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_supplier_invoices_supplier_id_suppliers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_invoices")),
        sa.UniqueConstraint(
            "supplier_id", "number", name=op.f("uq_supplier_invoices_supplier_id_number")
        ),
    )
    op.create_index(
        op.f("ix_supplier_invoices_dealer_group_id"),
        "supplier_invoices",
        ["dealer_group_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_supplier_invoices_purchase_order_id"),
        "supplier_invoices",
        ["purchase_order_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_supplier_invoices_store_id"), "supplier_invoices", ["store_id"], unique=False
    )
    op.create_table(
        "goods_receipt_lines",
        sa.Column("goods_receipt_id", sa.BigInteger(), nullable=False),
        sa.Column("purchase_order_line_id", sa.BigInteger(), nullable=False),
        sa.Column("part_id", sa.BigInteger(), nullable=False),
        sa.Column("lot_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column(
            "freight_allocated",
            sa.Numeric(precision=14, scale=4),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "quantity > 0 AND unit_price >= 0 AND freight_allocated >= 0",
            name=op.f("ck_goods_receipt_lines_values"),
        ),
        sa.ForeignKeyConstraint(
            ["goods_receipt_id"],
            ["goods_receipts.id"],
            name=op.f("fk_goods_receipt_lines_goods_receipt_id_goods_receipts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["stock_lots.id"],
            name=op.f("fk_goods_receipt_lines_lot_id_stock_lots"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["parts.id"],
            name=op.f("fk_goods_receipt_lines_part_id_parts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_line_id"],
            ["purchase_order_lines.id"],
            name=op.f("fk_goods_receipt_lines_purchase_order_line_id_purchase_order_lines"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goods_receipt_lines")),
    )
    op.create_index(
        op.f("ix_goods_receipt_lines_goods_receipt_id"),
        "goods_receipt_lines",
        ["goods_receipt_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_goods_receipt_lines_purchase_order_line_id"),
        "goods_receipt_lines",
        ["purchase_order_line_id"],
        unique=False,
    )
    op.create_table(
        "supplier_invoice_lines",
        sa.Column("supplier_invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("purchase_order_line_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column(
            "ordered_price",
            sa.Numeric(precision=14, scale=4),
            nullable=False,
            comment="PO price at match time",
        ),
        sa.Column(
            "received_quantity",
            sa.Numeric(precision=12, scale=3),
            nullable=False,
            comment="Received on the order line when matched",
        ),
        sa.Column(
            "invoiced_to_date",
            sa.Numeric(precision=12, scale=3),
            nullable=False,
            comment="Invoiced on the order line, this invoice included",
        ),
        sa.Column("match_status", sa.String(length=24), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "match_status IN ('matched', 'qty_mismatch', 'price_mismatch', "
            "'qty_and_price_mismatch')",
            name=op.f("ck_supplier_invoice_lines_match_status"),
        ),
        sa.CheckConstraint(
            "quantity > 0 AND unit_price >= 0", name=op.f("ck_supplier_invoice_lines_values")
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_line_id"],
            ["purchase_order_lines.id"],
            name=op.f("fk_supplier_invoice_lines_purchase_order_line_id_purchase_order_lines"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_invoice_id"],
            ["supplier_invoices.id"],
            name=op.f("fk_supplier_invoice_lines_supplier_invoice_id_supplier_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_invoice_lines")),
    )
    op.create_index(
        op.f("ix_supplier_invoice_lines_purchase_order_line_id"),
        "supplier_invoice_lines",
        ["purchase_order_line_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_supplier_invoice_lines_supplier_invoice_id"),
        "supplier_invoice_lines",
        ["supplier_invoice_id"],
        unique=False,
    )
    op.create_table(
        "stock_moves",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column("part_id", sa.BigInteger(), nullable=False),
        sa.Column("lot_id", sa.BigInteger(), nullable=False),
        sa.Column("bin_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("reservation_id", sa.BigInteger(), nullable=True),
        sa.Column("receipt_line_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "transfer_ref",
            sa.String(length=36),
            nullable=True,
            comment="Pairs the out and in moves of one transfer",
        ),
        sa.Column("reference_type", sa.String(length=30), nullable=True),
        sa.Column("reference_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(kind IN ('receipt', 'transfer_in', 'return') AND quantity > 0) OR "
            "(kind IN ('issue', 'transfer_out', 'scrap') AND quantity < 0) OR "
            "(kind = 'adjustment' AND quantity <> 0)",
            name=op.f("ck_stock_moves_sign"),
        ),
        sa.CheckConstraint(
            "kind IN ('receipt', 'issue', 'transfer_out', 'transfer_in', 'adjustment', "
            "'return', 'scrap')",
            name=op.f("ck_stock_moves_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_stock_moves_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["bin_id"],
            ["warehouse_bins.id"],
            name=op.f("fk_stock_moves_bin_id_warehouse_bins"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["stock_lots.id"],
            name=op.f("fk_stock_moves_lot_id_stock_lots"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["parts.id"],
            name=op.f("fk_stock_moves_part_id_parts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["receipt_line_id"],
            ["goods_receipt_lines.id"],
            name=op.f("fk_stock_moves_receipt_line_id_goods_receipt_lines"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["part_reservations.id"],
            name=op.f("fk_stock_moves_reservation_id_part_reservations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_stock_moves_warehouse_id_warehouses"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_moves")),
    )
    op.create_index(op.f("ix_stock_moves_lot_id"), "stock_moves", ["lot_id"], unique=False)
    op.create_index(op.f("ix_stock_moves_part_id"), "stock_moves", ["part_id"], unique=False)
    op.create_index(
        op.f("ix_stock_moves_receipt_line_id"), "stock_moves", ["receipt_line_id"], unique=False
    )
    op.create_index(
        op.f("ix_stock_moves_reservation_id"), "stock_moves", ["reservation_id"], unique=False
    )


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)

"""Vehicle sales: model catalogue, stock vehicles, leads, quotes, orders and their checklists.

Revision ID: 2026_11_26_sales
Revises: 2026_11_26_dms_foundation
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "2026_11_26_sales"
down_revision = "2026_11_26_dms_foundation"
branch_labels = None
depends_on = None

# Children before parents, for the downgrade.
TABLES = (
    "sales_checklist_items",
    "sales_orders",
    "sales_quotes",
    "sales_leads",
    "sales_stock",
    "sales_models",
)


def upgrade() -> None:
    op.create_table(
        "sales_models",
        sa.Column("dealer_group_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("make", sa.String(length=40), nullable=False),
        sa.Column("model", sa.String(length=60), nullable=False),
        sa.Column("trim", sa.String(length=60), nullable=False),
        sa.Column("model_year", sa.SmallInteger(), nullable=False),
        sa.Column("powertrain", sa.String(length=10), nullable=False),
        sa.Column("msrp", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
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
            "powertrain IN ('ice', 'hev', 'phev', 'bev')", name=op.f("ck_sales_models_powertrain")
        ),
        sa.CheckConstraint("msrp > 0", name=op.f("ck_sales_models_msrp")),
        sa.ForeignKeyConstraint(
            ["dealer_group_id"],
            ["dealer_groups.id"],
            name=op.f("fk_sales_models_dealer_group_id_dealer_groups"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_models")),
        sa.UniqueConstraint(
            "dealer_group_id", "code", name=op.f("uq_sales_models_dealer_group_id_code")
        ),
    )
    op.create_index(
        op.f("ix_sales_models_dealer_group_id"), "sales_models", ["dealer_group_id"], unique=False
    )
    op.create_table(
        "sales_stock",
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("model_id", sa.BigInteger(), nullable=False),
        sa.Column("colour", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("location", sa.String(length=100), nullable=False),
        sa.Column(
            "cost",
            sa.Numeric(precision=10, scale=2),
            nullable=False,
            comment="What the store paid the maker",
        ),
        sa.Column(
            "arrived_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="NULL while the car is still on its way",
        ),
        sa.Column("store_id", sa.BigInteger(), nullable=False),
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
            "status IN ('in_transit', 'in_warehouse', 'in_showroom', 'reserved', 'sold')",
            name=op.f("ck_sales_stock_status"),
        ),
        sa.CheckConstraint("cost >= 0", name=op.f("ck_sales_stock_cost")),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["sales_models.id"],
            name=op.f("fk_sales_stock_model_id_sales_models"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_sales_stock_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_stock")),
        sa.UniqueConstraint("vin", name=op.f("uq_sales_stock_vin")),
    )
    op.create_index(op.f("ix_sales_stock_model_id"), "sales_stock", ["model_id"], unique=False)
    op.create_index(op.f("ix_sales_stock_store_id"), "sales_stock", ["store_id"], unique=False)
    op.create_index(
        "ix_sales_stock_store_status", "sales_stock", ["store_id", "status"], unique=False
    )
    op.create_table(
        "sales_leads",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("consultant_id", sa.BigInteger(), nullable=True, comment="销售顾问"),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("interested_model_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("store_id", sa.BigInteger(), nullable=False),
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
            "source IN ('walk_in', 'phone', 'web', 'autohome', 'dongchedi', 'referral', 'event',"
            " 'service_lane')",
            name=op.f("ck_sales_leads_source"),
        ),
        sa.CheckConstraint(
            "status IN ('lead', 'opportunity', 'quote', 'order', 'allocated', 'pdi', 'delivered',"
            " 'lost', 'cancelled')",
            name=op.f("ck_sales_leads_status"),
        ),
        sa.ForeignKeyConstraint(
            ["consultant_id"],
            ["users.id"],
            name=op.f("fk_sales_leads_consultant_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_sales_leads_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["interested_model_id"],
            ["sales_models.id"],
            name=op.f("fk_sales_leads_interested_model_id_sales_models"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_sales_leads_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_leads")),
    )
    op.create_index(
        "ix_sales_leads_consultant_created",
        "sales_leads",
        ["consultant_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sales_leads_customer_id"), "sales_leads", ["customer_id"], unique=False
    )
    op.create_index(op.f("ix_sales_leads_store_id"), "sales_leads", ["store_id"], unique=False)
    op.create_index(
        "ix_sales_leads_store_status", "sales_leads", ["store_id", "status"], unique=False
    )
    op.create_table(
        "sales_quotes",
        sa.Column("lead_id", sa.BigInteger(), nullable=False),
        sa.Column("model_id", sa.BigInteger(), nullable=False),
        sa.Column("colour", sa.String(length=30), nullable=True),
        sa.Column("vehicle_price", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column(
            "options",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("options_price", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("discount", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("trade_in", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("trade_in_value", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("financing", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "total",
            sa.Numeric(precision=10, scale=2),
            nullable=False,
            comment="price + options - discount - trade-in",
        ),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column("store_id", sa.BigInteger(), nullable=False),
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
            "options_price >= 0 AND discount >= 0 AND trade_in_value >= 0",
            name=op.f("ck_sales_quotes_amounts"),
        ),
        sa.CheckConstraint("total > 0", name=op.f("ck_sales_quotes_total")),
        sa.CheckConstraint("vehicle_price > 0", name=op.f("ck_sales_quotes_vehicle_price")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_sales_quotes_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["sales_leads.id"],
            name=op.f("fk_sales_quotes_lead_id_sales_leads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["sales_models.id"],
            name=op.f("fk_sales_quotes_model_id_sales_models"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_sales_quotes_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_quotes")),
    )
    op.create_index(op.f("ix_sales_quotes_lead_id"), "sales_quotes", ["lead_id"], unique=False)
    op.create_index(op.f("ix_sales_quotes_store_id"), "sales_quotes", ["store_id"], unique=False)
    op.create_table(
        "sales_orders",
        sa.Column("lead_id", sa.BigInteger(), nullable=False),
        sa.Column("quote_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("model_id", sa.BigInteger(), nullable=False),
        sa.Column("colour", sa.String(length=30), nullable=True),
        sa.Column(
            "price",
            sa.Numeric(precision=10, scale=2),
            nullable=False,
            comment="Vehicle and options, before discount",
        ),
        sa.Column("discount", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("trade_in_value", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("deposit", sa.Numeric(precision=10, scale=2), nullable=False, comment="定金"),
        sa.Column("stock_vehicle_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "ordered_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("store_id", sa.BigInteger(), nullable=False),
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
            "deposit >= 0 AND deposit <= price - discount", name=op.f("ck_sales_orders_deposit")
        ),
        sa.CheckConstraint(
            "discount >= 0 AND discount < price", name=op.f("ck_sales_orders_discount")
        ),
        sa.CheckConstraint("price > 0", name=op.f("ck_sales_orders_price")),
        sa.CheckConstraint("trade_in_value >= 0", name=op.f("ck_sales_orders_trade_in_value")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_sales_orders_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["sales_leads.id"],
            name=op.f("fk_sales_orders_lead_id_sales_leads"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["sales_models.id"],
            name=op.f("fk_sales_orders_model_id_sales_models"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["sales_quotes.id"],
            name=op.f("fk_sales_orders_quote_id_sales_quotes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["stock_vehicle_id"],
            ["sales_stock.id"],
            name=op.f("fk_sales_orders_stock_vehicle_id_sales_stock"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_sales_orders_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_orders")),
        sa.UniqueConstraint("lead_id", name=op.f("uq_sales_orders_lead_id")),
        sa.UniqueConstraint("stock_vehicle_id", name=op.f("uq_sales_orders_stock_vehicle_id")),
    )
    op.create_index(
        op.f("ix_sales_orders_customer_id"), "sales_orders", ["customer_id"], unique=False
    )
    op.create_index(
        "ix_sales_orders_store_delivered",
        "sales_orders",
        ["store_id", "delivered_at"],
        unique=False,
    )
    op.create_index(op.f("ix_sales_orders_store_id"), "sales_orders", ["store_id"], unique=False)
    op.create_table(
        "sales_checklist_items",
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column(
            "result", sa.String(length=10), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("checked_by_id", sa.BigInteger(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("store_id", sa.BigInteger(), nullable=False),
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
            "kind IN ('pdi', 'delivery')", name=op.f("ck_sales_checklist_items_kind")
        ),
        sa.CheckConstraint(
            "result IN ('pending', 'ok', 'failed')", name=op.f("ck_sales_checklist_items_result")
        ),
        sa.ForeignKeyConstraint(
            ["checked_by_id"],
            ["users.id"],
            name=op.f("fk_sales_checklist_items_checked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_orders.id"],
            name=op.f("fk_sales_checklist_items_order_id_sales_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_sales_checklist_items_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_checklist_items")),
        sa.UniqueConstraint(
            "order_id", "kind", "code", name=op.f("uq_sales_checklist_items_order_id_kind_code")
        ),
    )
    op.create_index(
        op.f("ix_sales_checklist_items_order_id"),
        "sales_checklist_items",
        ["order_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sales_checklist_items_store_id"),
        "sales_checklist_items",
        ["store_id"],
        unique=False,
    )


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)

"""DMS foundation: dealer groups, stores, users and roles, CRM, and the state-transition audit.

Revision ID: 2026_11_26_dms_foundation
Revises: 2026_11_26_telemetry
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "2026_11_26_dms_foundation"
down_revision = "2026_11_26_telemetry"
branch_labels = None
depends_on = None

# Children before parents, for the downgrade.
TABLES = (
    "user_stores",
    "state_transitions",
    "interactions",
    "vehicles",
    "users",
    "customers",
    "stores",
    "dealer_groups",
)


def upgrade() -> None:
    op.create_table(
        "dealer_groups",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dealer_groups")),
        sa.UniqueConstraint("code", name=op.f("uq_dealer_groups_code")),
    )
    op.create_table(
        "stores",
        sa.Column("dealer_group_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("city", sa.String(length=50), nullable=False),
        sa.Column("timezone", sa.String(length=40), nullable=False),
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
            ["dealer_group_id"],
            ["dealer_groups.id"],
            name=op.f("fk_stores_dealer_group_id_dealer_groups"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stores")),
        sa.UniqueConstraint("code", name=op.f("uq_stores_code")),
    )
    op.create_index(op.f("ix_stores_dealer_group_id"), "stores", ["dealer_group_id"], unique=False)
    op.create_table(
        "customers",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("preferred_store_id", sa.BigInteger(), nullable=True),
        sa.Column("preferred_weekday", sa.String(length=3), nullable=True),
        sa.Column("preferred_time_of_day", sa.String(length=10), nullable=True),
        sa.Column(
            "consents",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("consents_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "tags",
            postgresql.ARRAY(sa.String(length=32)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
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
            "preferred_time_of_day IS NULL"
            " OR preferred_time_of_day IN ('morning', 'afternoon', 'evening')",
            name=op.f("ck_customers_preferred_time_of_day"),
        ),
        sa.CheckConstraint(
            "preferred_weekday IS NULL"
            " OR preferred_weekday IN ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')",
            name=op.f("ck_customers_preferred_weekday"),
        ),
        sa.CheckConstraint(
            "source IN ('walk_in', 'web', 'referral', 'phone', 'event')",
            name=op.f("ck_customers_source"),
        ),
        sa.CheckConstraint(
            "status IN ('prospect', 'active', 'dormant', 'lost')", name=op.f("ck_customers_status")
        ),
        sa.ForeignKeyConstraint(
            ["preferred_store_id"],
            ["stores.id"],
            name=op.f("fk_customers_preferred_store_id_stores"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_customers_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    op.create_index(op.f("ix_customers_phone"), "customers", ["phone"], unique=False)
    op.create_index(op.f("ix_customers_store_id"), "customers", ["store_id"], unique=False)
    op.create_index(
        "ix_customers_tags", "customers", ["tags"], unique=False, postgresql_using="gin"
    )
    op.create_table(
        "users",
        sa.Column("dealer_group_id", sa.BigInteger(), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("full_name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("hashed_password", sa.String(length=200), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column(
            "customer_id",
            sa.BigInteger(),
            nullable=True,
            comment="Set for role=customer: the customer record this account is",
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
            "(role = 'customer') = (customer_id IS NOT NULL)", name=op.f("ck_users_customer_link")
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'manager', 'sales_consultant', 'service_advisor',"
            " 'technician', 'parts_clerk', 'customer')",
            name=op.f("ck_users_role"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_users_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dealer_group_id"],
            ["dealer_groups.id"],
            name=op.f("fk_users_dealer_group_id_dealer_groups"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_users_customer_id")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(op.f("ix_users_dealer_group_id"), "users", ["dealer_group_id"], unique=False)
    op.create_table(
        "vehicles",
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("plate", sa.String(length=12), nullable=True),
        sa.Column("make", sa.String(length=40), nullable=False),
        sa.Column("model", sa.String(length=60), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("color", sa.String(length=30), nullable=True),
        sa.Column("owner_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "odometer_km",
            sa.Float(),
            nullable=True,
            comment="Last reading entered by staff; telemetry overrides it when larger",
        ),
        sa.Column("odometer_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("telematics_device_id", sa.String(length=64), nullable=True),
        sa.Column("warranty_end", sa.Date(), nullable=True),
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
            "odometer_km IS NULL OR odometer_km >= 0", name=op.f("ck_vehicles_odometer_km")
        ),
        sa.CheckConstraint("year BETWEEN 1980 AND 2100", name=op.f("ck_vehicles_year")),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["customers.id"],
            name=op.f("fk_vehicles_owner_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_vehicles_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicles")),
        sa.UniqueConstraint("telematics_device_id", name=op.f("uq_vehicles_telematics_device_id")),
        sa.UniqueConstraint("vin", name=op.f("uq_vehicles_vin")),
    )
    op.create_index(op.f("ix_vehicles_owner_id"), "vehicles", ["owner_id"], unique=False)
    op.create_index(op.f("ix_vehicles_plate"), "vehicles", ["plate"], unique=False)
    op.create_index(op.f("ix_vehicles_store_id"), "vehicles", ["store_id"], unique=False)
    op.create_table(
        "interactions",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("vehicle_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True, comment="Staff who logged it"),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
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
            "direction IN ('inbound', 'outbound')", name=op.f("ck_interactions_direction")
        ),
        sa.CheckConstraint(
            "kind IN ('call', 'visit', 'message')", name=op.f("ck_interactions_kind")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_interactions_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_interactions_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_interactions_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
            name=op.f("fk_interactions_vehicle_id_vehicles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interactions")),
    )
    op.create_index(
        "ix_interactions_customer_occurred",
        "interactions",
        ["customer_id", "occurred_at"],
        unique=False,
    )
    op.create_index(op.f("ix_interactions_store_id"), "interactions", ["store_id"], unique=False)
    op.create_table(
        "state_transitions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("store_id", sa.BigInteger(), nullable=True),
        sa.Column("from_state", sa.String(length=40), nullable=True, comment="NULL when created"),
        sa.Column("to_state", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "actor_user_id",
            sa.BigInteger(),
            nullable=True,
            comment="NULL for automatic transitions (for example raised by diagnostics)",
        ),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_state_transitions_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_state_transitions_store_id_stores"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_state_transitions")),
    )
    op.create_index(
        "ix_state_transitions_entity",
        "state_transitions",
        ["entity_type", "entity_id", "at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_state_transitions_store_id"), "state_transitions", ["store_id"], unique=False
    )
    op.create_table(
        "user_stores",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("store_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_user_stores_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_stores_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "store_id", name=op.f("pk_user_stores")),
    )


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)

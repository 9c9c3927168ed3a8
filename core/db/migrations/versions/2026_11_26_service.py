"""After-sales service: labour operations, technicians, bays, opening hours, appointments
(no double booking, by exclusion constraints), work orders with lines and clocks, invoices,
surveys and complaints.

Revision ID: 2026_11_26_service
Revises: 2026_11_26_dms_foundation
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "2026_11_26_service"
down_revision = "2026_11_26_dms_foundation"
branch_labels = None
depends_on = "2026_11_26_parts"  # parts lines reference parts and their reservations

# Children before parents, for the downgrade.
TABLES = (
    "work_order_clocks",
    "service_invoice_lines",
    "service_complaints",
    "work_order_parts",
    "work_order_labour",
    "service_surveys",
    "service_invoices",
    "work_orders",
    "service_appointments",
    "service_technicians",
    "service_opening_hours",
    "service_closed_days",
    "service_bays",
    "service_operations",
)


def upgrade() -> None:
    # btree_gist lets one exclusion constraint combine "=" on an id with "&&" on a range.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "service_operations",
        sa.Column("dealer_group_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("flat_rate_hours", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("required_skill", sa.String(length=20), nullable=False),
        sa.Column("min_level", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "bay_kind",
            sa.String(length=12),
            nullable=True,
            comment="The kind of bay the job needs; NULL means any bay",
        ),
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
            "bay_kind IS NULL OR bay_kind IN ('lift', 'alignment', 'quick', 'diagnosis')",
            name=op.f("ck_service_operations_bay_kind"),
        ),
        sa.CheckConstraint(
            "required_skill IN ('maintenance', 'electrical', 'engine', 'brakes', 'tyres', "
            "'cooling', 'diagnostics', 'ac')",
            name=op.f("ck_service_operations_required_skill"),
        ),
        sa.CheckConstraint(
            "flat_rate_hours > 0", name=op.f("ck_service_operations_flat_rate_hours")
        ),
        sa.CheckConstraint(
            "min_level BETWEEN 1 AND 4", name=op.f("ck_service_operations_min_level")
        ),
        sa.ForeignKeyConstraint(
            ["dealer_group_id"],
            ["dealer_groups.id"],
            name=op.f("fk_service_operations_dealer_group_id_dealer_groups"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_operations")),
        sa.UniqueConstraint(
            "dealer_group_id", "code", name=op.f("uq_service_operations_dealer_group_id_code")
        ),
    )
    op.create_index(
        op.f("ix_service_operations_dealer_group_id"),
        "service_operations",
        ["dealer_group_id"],
        unique=False,
    )
    op.create_table(
        "service_bays",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
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
            "kind IN ('lift', 'alignment', 'quick', 'diagnosis')", name=op.f("ck_service_bays_kind")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_service_bays_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_bays")),
        sa.UniqueConstraint("store_id", "code", name=op.f("uq_service_bays_store_id_code")),
    )
    op.create_index(op.f("ix_service_bays_store_id"), "service_bays", ["store_id"], unique=False)
    op.create_table(
        "service_closed_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_service_closed_days_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_closed_days")),
        sa.UniqueConstraint("store_id", "day", name=op.f("uq_service_closed_days_store_id_day")),
    )
    op.create_index(
        op.f("ix_service_closed_days_store_id"), "service_closed_days", ["store_id"], unique=False
    )
    op.create_table(
        "service_opening_hours",
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
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
        sa.CheckConstraint("opens < closes", name=op.f("ck_service_opening_hours_order")),
        sa.CheckConstraint(
            "weekday BETWEEN 0 AND 6", name=op.f("ck_service_opening_hours_weekday")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_service_opening_hours_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_opening_hours")),
        sa.UniqueConstraint(
            "store_id", "weekday", name=op.f("uq_service_opening_hours_store_id_weekday")
        ),
    )
    op.create_index(
        op.f("ix_service_opening_hours_store_id"),
        "service_opening_hours",
        ["store_id"],
        unique=False,
    )
    op.create_table(
        "service_technicians",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column(
            "skills",
            postgresql.ARRAY(sa.String(length=20)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
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
            "skills <@ ARRAY['maintenance', 'electrical', 'engine', 'brakes', 'tyres', 'cooling', "
            "'diagnostics', 'ac']::varchar[]",
            name=op.f("ck_service_technicians_skills"),
        ),
        sa.CheckConstraint("level BETWEEN 1 AND 4", name=op.f("ck_service_technicians_level")),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_service_technicians_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_service_technicians_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_technicians")),
        sa.UniqueConstraint("user_id", name=op.f("uq_service_technicians_user_id")),
    )
    op.create_index(
        op.f("ix_service_technicians_store_id"), "service_technicians", ["store_id"], unique=False
    )
    op.create_table(
        "service_appointments",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("vehicle_id", sa.BigInteger(), nullable=False),
        sa.Column("technician_id", sa.BigInteger(), nullable=False),
        sa.Column("bay_id", sa.BigInteger(), nullable=False),
        sa.Column("advisor_id", sa.BigInteger(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "period",
            postgresql.TSTZRANGE(),
            sa.Computed("tstzrange(starts_at, ends_at, '[)')", persisted=True),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column(
            "operation_codes",
            postgresql.ARRAY(sa.String(length=20)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column(
            "source_ref",
            sa.String(length=80),
            nullable=True,
            comment="Idempotency key of an automated booking, e.g. alert:42",
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
        postgresql.ExcludeConstraint(
            (sa.column("bay_id"), "="),
            (sa.column("period"), "&&"),
            where=sa.text("status IN ('booked', 'confirmed', 'arrived')"),
            using="gist",
            name="ex_service_appointments_bay",
        ),
        postgresql.ExcludeConstraint(
            (sa.column("technician_id"), "="),
            (sa.column("period"), "&&"),
            where=sa.text("status IN ('booked', 'confirmed', 'arrived')"),
            using="gist",
            name="ex_service_appointments_technician",
        ),
        sa.CheckConstraint(
            "source IN ('advisor', 'customer', 'alert', 'reminder')",
            name=op.f("ck_service_appointments_source"),
        ),
        sa.CheckConstraint(
            "status IN ('booked', 'confirmed', 'arrived', 'cancelled', 'no_show')",
            name=op.f("ck_service_appointments_status"),
        ),
        sa.CheckConstraint("starts_at < ends_at", name=op.f("ck_service_appointments_period")),
        sa.ForeignKeyConstraint(
            ["advisor_id"],
            ["users.id"],
            name=op.f("fk_service_appointments_advisor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["bay_id"],
            ["service_bays.id"],
            name=op.f("fk_service_appointments_bay_id_service_bays"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_service_appointments_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_service_appointments_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["service_technicians.id"],
            name=op.f("fk_service_appointments_technician_id_service_technicians"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
            name=op.f("fk_service_appointments_vehicle_id_vehicles"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_appointments")),
    )
    op.create_index(
        op.f("ix_service_appointments_customer_id"),
        "service_appointments",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_service_appointments_store_id"), "service_appointments", ["store_id"], unique=False
    )
    op.create_index(
        "ix_service_appointments_store_starts",
        "service_appointments",
        ["store_id", "starts_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_service_appointments_technician_id"),
        "service_appointments",
        ["technician_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_service_appointments_vehicle_id"),
        "service_appointments",
        ["vehicle_id"],
        unique=False,
    )
    op.create_index(
        "uq_service_appointments_source_ref",
        "service_appointments",
        ["store_id", "source_ref"],
        unique=True,
        postgresql_where=sa.text("source_ref IS NOT NULL AND status IN ('booked', 'confirmed')"),
    )
    op.create_table(
        "work_orders",
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("vehicle_id", sa.BigInteger(), nullable=False),
        sa.Column("appointment_id", sa.BigInteger(), nullable=True),
        sa.Column("advisor_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "technician_id",
            sa.BigInteger(),
            nullable=True,
            comment="The lead technician (主修技师)",
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column(
            "source_ref",
            sa.String(length=80),
            nullable=True,
            comment="Idempotency key of an automated draft, e.g. alert:42",
        ),
        sa.Column(
            "complaint", sa.Text(), nullable=True, comment="The customer's concern (客户描述)"
        ),
        sa.Column(
            "evidence",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
            comment="What an alert found, for the technician",
        ),
        sa.Column("odometer_km", sa.Float(), nullable=True),
        sa.Column(
            "inspection",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
            comment="Check-in inspection: item -> result, note",
        ),
        sa.Column("diagnosis", sa.Text(), nullable=True),
        sa.Column("wait_reason", sa.String(length=30), nullable=True),
        sa.Column(
            "wait_return_to",
            sa.String(length=20),
            nullable=True,
            comment="The state a wait returns to",
        ),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column(
            "outcome_code",
            sa.String(length=40),
            nullable=True,
            comment="Confirmed cause: a DTC or failure mode, e.g. battery_aging",
        ),
        sa.Column("outcome_notes", sa.Text(), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
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
            "outcome IS NULL OR outcome IN ('confirmed_cause', 'no_fault_found', 'maintenance')",
            name=op.f("ck_work_orders_outcome"),
        ),
        sa.CheckConstraint(
            "source IN ('walk_in', 'appointment', 'alert', 'reminder')",
            name=op.f("ck_work_orders_source"),
        ),
        sa.CheckConstraint(
            "status IN ('booked', 'checked_in', 'diagnosis', 'estimate_sent', "
            "'customer_approved', 'in_repair', 'quality_check', 'settled', 'delivered', "
            "'follow_up', 'waiting_parts', 'waiting_approval', 'waiting_sublet', 'cancelled')",
            name=op.f("ck_work_orders_status"),
        ),
        sa.CheckConstraint(
            "wait_reason IS NULL OR wait_reason IN ('part_backordered', 'part_in_transfer', "
            "'wrong_part_delivered', 'customer_unreachable', 'extra_work_found', "
            "'warranty_claim', 'insurance', 'paint_shop', 'glass_specialist', 'ecu_programming', "
            "'machining')",
            name=op.f("ck_work_orders_wait_reason"),
        ),
        sa.CheckConstraint(
            "odometer_km IS NULL OR odometer_km >= 0", name=op.f("ck_work_orders_odometer_km")
        ),
        sa.ForeignKeyConstraint(
            ["advisor_id"],
            ["users.id"],
            name=op.f("fk_work_orders_advisor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["service_appointments.id"],
            name=op.f("fk_work_orders_appointment_id_service_appointments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_work_orders_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_work_orders_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["service_technicians.id"],
            name=op.f("fk_work_orders_technician_id_service_technicians"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
            name=op.f("fk_work_orders_vehicle_id_vehicles"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_orders")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_work_orders_appointment_id")),
        sa.UniqueConstraint("store_id", "number", name=op.f("uq_work_orders_store_id_number")),
    )
    op.create_index(
        op.f("ix_work_orders_customer_id"), "work_orders", ["customer_id"], unique=False
    )
    op.create_index(op.f("ix_work_orders_store_id"), "work_orders", ["store_id"], unique=False)
    op.create_index(
        "ix_work_orders_store_status", "work_orders", ["store_id", "status"], unique=False
    )
    op.create_index(
        op.f("ix_work_orders_technician_id"), "work_orders", ["technician_id"], unique=False
    )
    op.create_index(op.f("ix_work_orders_vehicle_id"), "work_orders", ["vehicle_id"], unique=False)
    op.create_index(
        "uq_work_orders_source_ref",
        "work_orders",
        ["store_id", "source_ref"],
        unique=True,
        postgresql_where=sa.text("source_ref IS NOT NULL AND status <> 'cancelled'"),
    )
    op.create_table(
        "service_invoices",
        sa.Column("work_order_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column(
            "labour_total",
            sa.Numeric(precision=12, scale=2),
            nullable=False,
            comment="Before discount and tax",
        ),
        sa.Column(
            "parts_total",
            sa.Numeric(precision=12, scale=2),
            nullable=False,
            comment="Before discount and tax",
        ),
        sa.Column("discount_total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("net_total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("tax_total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("grand_total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "issued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
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
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_service_invoices_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_service_invoices_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_service_invoices_work_order_id_work_orders"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_invoices")),
        sa.UniqueConstraint("store_id", "number", name=op.f("uq_service_invoices_store_id_number")),
        sa.UniqueConstraint("work_order_id", name=op.f("uq_service_invoices_work_order_id")),
    )
    op.create_index(
        op.f("ix_service_invoices_customer_id"), "service_invoices", ["customer_id"], unique=False
    )
    op.create_index(
        op.f("ix_service_invoices_store_id"), "service_invoices", ["store_id"], unique=False
    )
    op.create_table(
        "service_surveys",
        sa.Column("work_order_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("advisor_id", sa.BigInteger(), nullable=True),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("csi", sa.SmallInteger(), nullable=True, comment="Satisfaction, 1 to 10"),
        sa.Column("nps", sa.SmallInteger(), nullable=True, comment="Would recommend, 0 to 10"),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
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
            "status IN ('pending', 'answered', 'expired')", name=op.f("ck_service_surveys_status")
        ),
        sa.CheckConstraint(
            "csi IS NULL OR csi BETWEEN 1 AND 10", name=op.f("ck_service_surveys_csi")
        ),
        sa.CheckConstraint(
            "nps IS NULL OR nps BETWEEN 0 AND 10", name=op.f("ck_service_surveys_nps")
        ),
        sa.ForeignKeyConstraint(
            ["advisor_id"],
            ["users.id"],
            name=op.f("fk_service_surveys_advisor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_service_surveys_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_service_surveys_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_service_surveys_work_order_id_work_orders"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_surveys")),
        sa.UniqueConstraint("token", name=op.f("uq_service_surveys_token")),
        sa.UniqueConstraint("work_order_id", name=op.f("uq_service_surveys_work_order_id")),
    )
    op.create_index(
        op.f("ix_service_surveys_customer_id"), "service_surveys", ["customer_id"], unique=False
    )
    op.create_index(
        op.f("ix_service_surveys_store_id"), "service_surveys", ["store_id"], unique=False
    )
    op.create_table(
        "work_order_labour",
        sa.Column("work_order_id", sa.BigInteger(), nullable=False),
        sa.Column("operation_id", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column(
            "hours",
            sa.Numeric(precision=5, scale=2),
            nullable=False,
            comment="Flat-rate hours billed",
        ),
        sa.Column(
            "rate",
            sa.Numeric(precision=12, scale=2),
            nullable=False,
            comment="CNY per hour, before tax",
        ),
        sa.Column(
            "discount_pct",
            sa.Numeric(precision=5, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("technician_id", sa.BigInteger(), nullable=True),
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
            "discount_pct BETWEEN 0 AND 100", name=op.f("ck_work_order_labour_discount_pct")
        ),
        sa.CheckConstraint("hours > 0 AND rate >= 0", name=op.f("ck_work_order_labour_values")),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["service_operations.id"],
            name=op.f("fk_work_order_labour_operation_id_service_operations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["service_technicians.id"],
            name=op.f("fk_work_order_labour_technician_id_service_technicians"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_work_order_labour_work_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_labour")),
    )
    op.create_index(
        op.f("ix_work_order_labour_technician_id"),
        "work_order_labour",
        ["technician_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_work_order_labour_work_order_id"),
        "work_order_labour",
        ["work_order_id"],
        unique=False,
    )
    op.create_table(
        "work_order_parts",
        sa.Column("work_order_id", sa.BigInteger(), nullable=False),
        sa.Column("part_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column(
            "unit_price", sa.Numeric(precision=12, scale=2), nullable=False, comment="Before tax"
        ),
        sa.Column(
            "discount_pct",
            sa.Numeric(precision=5, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reservation_id", sa.BigInteger(), nullable=True),
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
            "status IN ('short', 'reserved', 'issued', 'released')",
            name=op.f("ck_work_order_parts_status"),
        ),
        sa.CheckConstraint(
            "discount_pct BETWEEN 0 AND 100", name=op.f("ck_work_order_parts_discount_pct")
        ),
        sa.CheckConstraint(
            "quantity > 0 AND unit_price >= 0", name=op.f("ck_work_order_parts_values")
        ),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["parts.id"],
            name=op.f("fk_work_order_parts_part_id_parts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["part_reservations.id"],
            name=op.f("fk_work_order_parts_reservation_id_part_reservations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_work_order_parts_work_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_parts")),
    )
    op.create_index(
        op.f("ix_work_order_parts_part_id"), "work_order_parts", ["part_id"], unique=False
    )
    op.create_index(
        op.f("ix_work_order_parts_reservation_id"),
        "work_order_parts",
        ["reservation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_work_order_parts_work_order_id"),
        "work_order_parts",
        ["work_order_id"],
        unique=False,
    )
    op.create_table(
        "service_complaints",
        sa.Column("work_order_id", sa.BigInteger(), nullable=True),
        sa.Column("survey_id", sa.BigInteger(), nullable=True),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("advisor_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
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
            "status IN ('open', 'in_progress', 'resolved', 'closed')",
            name=op.f("ck_service_complaints_status"),
        ),
        sa.ForeignKeyConstraint(
            ["advisor_id"],
            ["users.id"],
            name=op.f("fk_service_complaints_advisor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_service_complaints_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_service_complaints_store_id_stores"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["service_surveys.id"],
            name=op.f("fk_service_complaints_survey_id_service_surveys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_service_complaints_work_order_id_work_orders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_complaints")),
        sa.UniqueConstraint("survey_id", name=op.f("uq_service_complaints_survey_id")),
    )
    op.create_index(
        op.f("ix_service_complaints_advisor_id"), "service_complaints", ["advisor_id"], unique=False
    )
    op.create_index(
        op.f("ix_service_complaints_customer_id"),
        "service_complaints",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_service_complaints_store_id"), "service_complaints", ["store_id"], unique=False
    )
    op.create_index(
        op.f("ix_service_complaints_work_order_id"),
        "service_complaints",
        ["work_order_id"],
        unique=False,
    )
    op.create_table(
        "service_invoice_lines",
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column(
            "quantity", sa.Numeric(precision=12, scale=3), nullable=False, comment="Hours or parts"
        ),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("gross", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("discount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("net", sa.Numeric(precision=12, scale=2), nullable=False),
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
            "kind IN ('labour', 'part')", name=op.f("ck_service_invoice_lines_kind")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["service_invoices.id"],
            name=op.f("fk_service_invoice_lines_invoice_id_service_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_invoice_lines")),
    )
    op.create_index(
        op.f("ix_service_invoice_lines_invoice_id"),
        "service_invoice_lines",
        ["invoice_id"],
        unique=False,
    )
    op.create_table(
        "work_order_clocks",
        sa.Column("labour_line_id", sa.BigInteger(), nullable=False),
        sa.Column("technician_id", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
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
            "ended_at IS NULL OR ended_at >= started_at", name=op.f("ck_work_order_clocks_period")
        ),
        sa.ForeignKeyConstraint(
            ["labour_line_id"],
            ["work_order_labour.id"],
            name=op.f("fk_work_order_clocks_labour_line_id_work_order_labour"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["service_technicians.id"],
            name=op.f("fk_work_order_clocks_technician_id_service_technicians"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_clocks")),
    )
    op.create_index(
        op.f("ix_work_order_clocks_labour_line_id"),
        "work_order_clocks",
        ["labour_line_id"],
        unique=False,
    )
    op.create_index(
        "uq_work_order_clocks_open",
        "work_order_clocks",
        ["technician_id"],
        unique=True,
        postgresql_where=sa.text("ended_at IS NULL"),
    )


def downgrade() -> None:
    # btree_gist stays: other schemas may use it, and it holds no data.
    for table in TABLES:
        op.drop_table(table)

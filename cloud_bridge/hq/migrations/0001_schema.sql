-- HQ collector schema (docs/cloud-bridge.md, "HQ collector").
--
-- Citus: every per-store table keys on store_id first, so it can become the distribution column
-- (SELECT create_distributed_table('<table>', 'store_id')) and each store's facts, projections
-- and status live on one worker; the chain-wide tables (stores, reference, changes, hq_users,
-- sessions, meta) would be reference tables. Nothing joins two stores' rows except by store_id.

CREATE TABLE meta (
    key text PRIMARY KEY,
    value text NOT NULL
);
-- The change feed's epoch: names this database, so a cursor from another one is refused (410).
INSERT INTO meta (key, value) VALUES ('epoch', replace(gen_random_uuid()::text, '-', ''));

CREATE TABLE stores (
    id text PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name text NOT NULL,
    time_zone text NOT NULL,
    currencies text[] NOT NULL,
    -- grows with every hub enrolled for the store: a hub whose fence is lower is replaced
    fence integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Single use, valid 24 hours; the code is the credential of POST /enrol.
CREATE TABLE enrolment_codes (
    code text PRIMARY KEY,
    store_id text NOT NULL REFERENCES stores (id),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    created_by text,
    used_at timestamptz,
    used_by_hub text
);

-- One row per enrolment: HQ keeps only the SHA-256 of the hub's token.
CREATE TABLE hubs (
    store_id text NOT NULL REFERENCES stores (id),
    fence integer NOT NULL,
    hub_id text NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    enrolled_at timestamptz NOT NULL,
    hub_version text,
    schema_version integer,
    PRIMARY KEY (store_id, fence)
);

-- acked_through per (hub, epoch): a restored hub (new epoch) starts a new row.
CREATE TABLE hub_epochs (
    store_id text NOT NULL REFERENCES stores (id),
    hub_id text NOT NULL,
    epoch text NOT NULL,
    acked_through bigint NOT NULL,
    first_seen timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, hub_id, epoch)
);

-- Deduplication: a fact is stored once per (store, event id), whatever epoch or batch brings it.
CREATE TABLE fact_ids (
    store_id text NOT NULL,
    event_id text NOT NULL,
    hash text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, event_id)
);

-- Every fact as the hub sent it, partitioned by month of occurred_on (UTC date of occurred_at);
-- the partitions are made on demand (facts_yYYYYmMM) before a batch that needs one is stored.
CREATE TABLE facts (
    store_id text NOT NULL,
    occurred_on date NOT NULL,
    event_id text NOT NULL,
    kind text NOT NULL,
    hub_id text NOT NULL,
    epoch text NOT NULL,
    seq bigint NOT NULL,
    occurred_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    hash text NOT NULL,
    data jsonb NOT NULL,
    PRIMARY KEY (store_id, occurred_on, event_id)
) PARTITION BY RANGE (occurred_on);

-- Projections, written in the batch's transaction from the facts it stores for the first time.
-- Money in minor units of `currency`, quantities in thousandths.
CREATE TABLE sales (
    store_id text NOT NULL,
    sale_id text NOT NULL,
    business_date date NOT NULL,
    currency text NOT NULL,
    invoice_number text NOT NULL DEFAULT '',
    till_code text NOT NULL DEFAULT '',
    cashier_name text NOT NULL DEFAULT '',
    occurred_at timestamptz NOT NULL,
    subtotal bigint NOT NULL DEFAULT 0,
    discount_total bigint NOT NULL DEFAULT 0,
    tax_total bigint NOT NULL DEFAULT 0,
    total bigint NOT NULL,
    voided boolean NOT NULL DEFAULT false,
    PRIMARY KEY (store_id, sale_id)
);
CREATE INDEX sales_store_date ON sales (store_id, business_date);
CREATE INDEX sales_date ON sales (business_date);  -- the chain's pages read a period across stores

CREATE TABLE sale_lines (
    store_id text NOT NULL,
    sale_id text NOT NULL,
    line_no integer NOT NULL,
    business_date date NOT NULL,
    currency text NOT NULL,
    product_id text,
    code text NOT NULL DEFAULT '',
    name text NOT NULL DEFAULT '',
    category_id text,
    quantity bigint NOT NULL,
    net bigint NOT NULL,
    tax bigint NOT NULL,
    PRIMARY KEY (store_id, sale_id, line_no)
);
CREATE INDEX sale_lines_store_date ON sale_lines (store_id, business_date);
CREATE INDEX sale_lines_date ON sale_lines (business_date);

-- Voids seen (a void may in principle arrive before its sale: the sale then lands voided).
CREATE TABLE voids (
    store_id text NOT NULL,
    void_id text NOT NULL,
    sale_id text NOT NULL,
    PRIMARY KEY (store_id, void_id)
);
CREATE INDEX voids_sale ON voids (store_id, sale_id);

CREATE TABLE refunds (
    store_id text NOT NULL,
    refund_id text NOT NULL,
    sale_id text NOT NULL,
    business_date date NOT NULL,
    currency text NOT NULL,
    total bigint NOT NULL,
    tax_total bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, refund_id)
);

-- The store's ledger rows (stock_movement facts), and stock on hand from them: the latest count
-- is the baseline, later movements add to it (hub's stock_movement_kinds, kind `count` = level).
CREATE TABLE stock_movements (
    store_id text NOT NULL,
    movement_id text NOT NULL,
    product_id text NOT NULL,
    kind text NOT NULL,
    quantity bigint NOT NULL,
    unit_cost bigint,
    source_type text NOT NULL DEFAULT '',
    source_id text,
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (store_id, movement_id)
);
CREATE INDEX stock_movements_product ON stock_movements (store_id, product_id, occurred_at);

CREATE TABLE stock (
    store_id text NOT NULL,
    product_id text NOT NULL,
    on_hand bigint NOT NULL DEFAULT 0,
    baseline_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, product_id)
);

-- Cost of goods sold: a sale's stock movements (quantity x unit cost, thousandths of the
-- store's cost currency, its first currency), for margin against the sale's lines.
CREATE TABLE sale_costs (
    store_id text NOT NULL,
    movement_id text NOT NULL,
    sale_id text NOT NULL,
    product_id text NOT NULL,
    cost_thousandths bigint NOT NULL,
    PRIMARY KEY (store_id, movement_id)
);
CREATE INDEX sale_costs_sale ON sale_costs (store_id, sale_id);

-- HQ's own reference data (the HQ-owned fields of the ownership table), one row per entity:
-- category, product (with barcodes and prices per currency), exchange_rate, promotion, user,
-- setting. store_id NULL: chain-wide; else that store's own row.
CREATE TABLE reference (
    entity text NOT NULL,
    id text NOT NULL,
    store_id text REFERENCES stores (id),
    version bigint NOT NULL,
    data jsonb NOT NULL,
    deleted boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text,
    PRIMARY KEY (entity, id)
);

-- The change feed hubs pull (GET /changes). Writers take one advisory lock (hq.feed) for their
-- transaction, so seq order is commit order and a reader never passes over a row that commits
-- later; txid keeps one transaction's rows in one batch.
CREATE TABLE changes (
    seq bigserial PRIMARY KEY,
    store_id text,
    entity text NOT NULL,
    id text NOT NULL,
    version bigint NOT NULL,
    op text NOT NULL CHECK (op IN ('upsert', 'delete')),
    data jsonb,
    txid bigint NOT NULL DEFAULT txid_current(),
    recorded_at timestamptz NOT NULL DEFAULT now()
);

-- HQ's own users (not the stores'): admin writes, analyst reads.
CREATE TABLE hq_users (
    id text PRIMARY KEY,
    username text NOT NULL UNIQUE,
    display_name text NOT NULL DEFAULT '',
    role text NOT NULL CHECK (role IN ('admin', 'analyst')),
    password_hash text NOT NULL,
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    user_id text NOT NULL REFERENCES hq_users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

-- Requests for a store's data, collected by its hub with the next status call.
CREATE TABLE requests (
    id text PRIMARY KEY,
    store_id text NOT NULL REFERENCES stores (id),
    kind text NOT NULL,
    params jsonb NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'done', 'failed')),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text,
    sent_at timestamptz,
    answered_at timestamptz,
    result jsonb,
    error text
);
CREATE INDEX requests_store ON requests (store_id, status);

-- The latest status per store (its health page); last contact = received_at.
CREATE TABLE store_status (
    store_id text PRIMARY KEY REFERENCES stores (id),
    hub_id text NOT NULL,
    epoch text NOT NULL,
    received_at timestamptz NOT NULL,
    backlog bigint,
    oldest_unsent_at timestamptz,
    body jsonb NOT NULL
);

-- Encrypted backups the hubs upload (files in the backups directory, one folder per store).
CREATE TABLE backups (
    store_id text NOT NULL REFERENCES stores (id),
    name text NOT NULL,
    size bigint NOT NULL,
    sha256 text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, name)
);

-- The products each store made or changed in its own fields (the hub's `product_local` facts),
-- one row per (store, product) at the highest version the store sent, so HQ's pages name what a
-- store sells when HQ's own catalogue (`reference`) does not. Keyed by store first (Citus).
CREATE TABLE store_products (
    store_id text NOT NULL,
    product_id text NOT NULL,
    version bigint NOT NULL,
    sku text NOT NULL DEFAULT '',
    name text NOT NULL DEFAULT '',
    short_name text,
    category_id text,
    unit text,
    tax_class text,
    active boolean NOT NULL DEFAULT true,
    cost_price bigint,
    cost_currency text,
    prices jsonb NOT NULL DEFAULT '{}',
    data jsonb NOT NULL,
    event_id text NOT NULL,
    changed_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, product_id)
);

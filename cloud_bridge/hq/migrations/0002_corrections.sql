-- Price corrections after a sale (the hub's `correction` facts): a charge the customer paid more,
-- a credit the store paid back, in the sale's currency. Keyed by store first (Citus).
CREATE TABLE corrections (
    store_id text NOT NULL,
    correction_id text NOT NULL,
    sale_id text NOT NULL,
    business_date date NOT NULL,
    currency text NOT NULL,
    kind text NOT NULL,
    total bigint NOT NULL,
    tax_total bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, correction_id)
);
CREATE INDEX corrections_store_date ON corrections (store_id, business_date);

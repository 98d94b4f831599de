-- A small ERP for the demo: orders with lines in, articles with prices and stock per warehouse out.
-- Run by the Database connector at first use ("Setup"); safe to run again.
CREATE TABLE IF NOT EXISTS erp_orders (
    order_id        INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_order_id   TEXT NOT NULL UNIQUE,   -- the shop's order id: a changed order updates its row instead of adding one
    order_number    TEXT NOT NULL,
    order_date      TEXT NOT NULL,
    customer_name   TEXT NOT NULL,
    customer_email  TEXT,
    city            TEXT,
    country         TEXT,
    payment         TEXT NOT NULL,
    shipping        TEXT NOT NULL,
    shipping_cost   NUMERIC,
    currency        TEXT NOT NULL,
    total_gross     NUMERIC NOT NULL,
    comment         TEXT
);

CREATE TABLE IF NOT EXISTS erp_order_lines (
    order_id     INTEGER NOT NULL REFERENCES erp_orders (order_id),
    position     INTEGER NOT NULL,
    article      TEXT NOT NULL,
    description  TEXT,
    quantity     NUMERIC NOT NULL,
    unit_price   NUMERIC NOT NULL,
    vat_key      TEXT NOT NULL,
    PRIMARY KEY (order_id, position)
);

CREATE TABLE IF NOT EXISTS erp_articles (
    article     TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    price       NUMERIC NOT NULL,
    vat_rate    NUMERIC NOT NULL,
    changed_at  TEXT NOT NULL               -- ISO 8601, so the export's cursor sorts it correctly
);

CREATE TABLE IF NOT EXISTS erp_stock (
    warehouse   TEXT NOT NULL,
    article     TEXT NOT NULL REFERENCES erp_articles (article),
    quantity    NUMERIC NOT NULL,
    changed_at  TEXT NOT NULL,
    PRIMARY KEY (warehouse, article)
);

INSERT OR IGNORE INTO erp_articles (article, description, price, vat_rate, changed_at) VALUES
    ('KE-100', 'Fényképezőgép-táska', 7874.02, 27, '2026-11-20T08:00:00'),
    ('SD-64', 'SD kártya 64 GB', 3149.61, 27, '2026-11-20T08:00:00'),
    ('OB-2', 'Objektív 50 mm', 78740.16, 27, '2026-11-20T08:05:00'),
    ('AK-1', 'Akkumulátor', 6299.21, 27, '2026-11-21T10:30:00'),
    ('KV-5', 'Könyv: Fotózás őszintén', 4761.90, 5, '2026-11-21T10:31:00');

INSERT OR IGNORE INTO erp_stock (warehouse, article, quantity, changed_at) VALUES
    ('BUDAPEST', 'KE-100', 12, '2026-11-20T08:00:00'),
    ('SZEGED', 'KE-100', 3, '2026-11-20T08:00:00'),
    ('BUDAPEST', 'SD-64', 140, '2026-11-20T08:00:00'),
    ('BUDAPEST', 'OB-2', 2, '2026-11-20T08:05:00'),
    ('BUDAPEST', 'AK-1', 0, '2026-11-21T10:30:00'),
    ('SZEGED', 'AK-1', 7, '2026-11-21T10:30:00'),
    ('BUDAPEST', 'KV-5', 25, '2026-11-21T10:31:00');

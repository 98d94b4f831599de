-- Sage Office Line (Sage 100): the subset of its tables the SageOfficeLine connector reads and writes, with Sage's own
-- table and column names, for tests and the demo on PostgreSQL. NEVER run this against a real Sage database: there the tables
-- exist and belong to Sage. Run by the connector at first use ("Setup": "sage-subset"); safe to run again.
--
-- Every row carries Mandant (the Sage client). KHKVKBelegarten and KHKSteuertabelle are looked up without Mandant, as
-- public integrator code joins them.
--
-- Timestamp: on SQL Server every Sage table has a rowversion column 'Timestamp' that moves on every insert and update;
-- incremental reads follow it. Here one sequence shared by all tables (sage_rowversion) emulates it: the column's default
-- on insert, a trigger on update. Names are unquoted, so PostgreSQL folds them to lower case; the connector finds tables
-- and columns whatever their case.
--
-- USER_ShopOrderId and USER_ShopCustomerId are user-defined fields (Sage's USER_ prefix) the administrator adds for the
-- connector: the shop's order id and customer id, each prefixed with the shop code ("SR1:172").

CREATE SEQUENCE IF NOT EXISTS sage_rowversion;

CREATE OR REPLACE FUNCTION sage_rowversion_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.timestamp := nextval('sage_rowversion');
    RETURN NEW;
END
$$;

CREATE TABLE IF NOT EXISTS KHKVKBelegarten (
    Kennzeichen VARCHAR(3) NOT NULL PRIMARY KEY,
    Bezeichnung VARCHAR(50) NOT NULL
);

CREATE TABLE IF NOT EXISTS KHKSteuertabelle (
    Steuercode SMALLINT NOT NULL PRIMARY KEY,
    Steuersatz DECIMAL(9, 4) NOT NULL,
    Land VARCHAR(3) NOT NULL DEFAULT '*',
    Steuertyp SMALLINT NOT NULL DEFAULT 0,
    Bezeichnung VARCHAR(50)
);

CREATE TABLE IF NOT EXISTS KHKAdressen (
    Adresse INTEGER NOT NULL,
    Mandant SMALLINT NOT NULL,
    Matchcode VARCHAR(50) NOT NULL,
    Name1 VARCHAR(50),
    Name2 VARCHAR(50),
    Strasse VARCHAR(64),
    PLZ VARCHAR(24),
    Ort VARCHAR(40),
    Land VARCHAR(3),
    Telefon VARCHAR(40),
    EMail VARCHAR(255),
    LieferZusatz VARCHAR(64),
    LieferStrasse VARCHAR(64),
    LieferPLZ VARCHAR(24),
    LieferOrt VARCHAR(40),
    LieferLand VARCHAR(3),
    Memo TEXT,
    PRIMARY KEY (Adresse, Mandant)
);

CREATE TABLE IF NOT EXISTS KHKKontokorrent (
    Kto VARCHAR(20) NOT NULL,
    KtoArt VARCHAR(1) NOT NULL DEFAULT 'D',
    Mandant SMALLINT NOT NULL,
    Matchcode VARCHAR(50) NOT NULL,
    Adresse INTEGER NOT NULL,
    WKz VARCHAR(3) NOT NULL DEFAULT 'EUR',
    Kundengruppe VARCHAR(10),
    Zahlungskond VARCHAR(10),
    EULand VARCHAR(2),
    USER_ShopCustomerId VARCHAR(60),
    PRIMARY KEY (Kto, Mandant),
    FOREIGN KEY (Adresse, Mandant) REFERENCES KHKAdressen (Adresse, Mandant)
);
CREATE UNIQUE INDEX IF NOT EXISTS UX_KHKKontokorrent_ShopCustomer ON KHKKontokorrent (Mandant, USER_ShopCustomerId);

CREATE TABLE IF NOT EXISTS KHKArtikel (
    Artikelnummer VARCHAR(31) NOT NULL,
    Mandant SMALLINT NOT NULL,
    Bezeichnung1 VARCHAR(50),
    Bezeichnung2 VARCHAR(50),
    Matchcode VARCHAR(50),
    Mengeneinheit VARCHAR(5),
    Steuerklasse SMALLINT,
    Aktiv SMALLINT NOT NULL DEFAULT -1,
    EANNummer VARCHAR(40),
    Gewicht DECIMAL(19, 4),
    Langtext TEXT,
    Memo TEXT,
    Timestamp BIGINT NOT NULL DEFAULT nextval('sage_rowversion'),
    PRIMARY KEY (Artikelnummer, Mandant)
);

CREATE TABLE IF NOT EXISTS KHKArtikelVarianten (
    Artikelnummer VARCHAR(31) NOT NULL,
    AuspraegungID INTEGER NOT NULL,
    Mandant SMALLINT NOT NULL,
    Auspraegung VARCHAR(50),
    EANNummer VARCHAR(40),
    Gewicht DECIMAL(19, 4),
    PRIMARY KEY (Artikelnummer, AuspraegungID, Mandant),
    FOREIGN KEY (Artikelnummer, Mandant) REFERENCES KHKArtikel (Artikelnummer, Mandant)
);

CREATE TABLE IF NOT EXISTS KHKVKBelege (
    BelID INTEGER NOT NULL,
    Mandant SMALLINT NOT NULL,
    Belegkennzeichen VARCHAR(3) NOT NULL,
    Belegart VARCHAR(50),
    Belegjahr SMALLINT NOT NULL,
    Belegnummer INTEGER NOT NULL,
    Belegdatum DATE NOT NULL,
    Matchcode VARCHAR(50),
    Referenznummer VARCHAR(50),
    Kopftext TEXT,
    A0Empfaenger VARCHAR(20) NOT NULL,
    A0AdressNr INTEGER,
    A0Name1 VARCHAR(50),
    A0Name2 VARCHAR(50),
    A0Strasse VARCHAR(64),
    A0PLZ VARCHAR(24),
    A0Ort VARCHAR(40),
    A0Land VARCHAR(3),
    A1Name1 VARCHAR(50),
    A1Name2 VARCHAR(50),
    A1Strasse VARCHAR(64),
    A1PLZ VARCHAR(24),
    A1Ort VARCHAR(40),
    A1Land VARCHAR(3),
    Zahlungskond VARCHAR(10),
    Versand VARCHAR(10),
    WKz VARCHAR(3) NOT NULL DEFAULT 'EUR',
    NettoBetrag DECIMAL(19, 4),
    SteuerBetrag DECIMAL(19, 4),
    BruttoBetrag DECIMAL(19, 4),
    Memo TEXT,
    USER_ShopOrderId VARCHAR(60),
    PRIMARY KEY (BelID, Mandant),
    FOREIGN KEY (A0Empfaenger, Mandant) REFERENCES KHKKontokorrent (Kto, Mandant)
);
CREATE UNIQUE INDEX IF NOT EXISTS UX_KHKVKBelege_Nummer ON KHKVKBelege (Mandant, Belegkennzeichen, Belegjahr, Belegnummer);
CREATE UNIQUE INDEX IF NOT EXISTS UX_KHKVKBelege_ShopOrder ON KHKVKBelege (Mandant, USER_ShopOrderId);

CREATE TABLE IF NOT EXISTS KHKVKBelegePositionen (
    BelPosID INTEGER NOT NULL,
    Mandant SMALLINT NOT NULL,
    BelID INTEGER NOT NULL,
    Position INTEGER NOT NULL,
    Artikelnummer VARCHAR(31) NOT NULL,
    AuspraegungID INTEGER NOT NULL DEFAULT 0,
    Bezeichnung1 VARCHAR(50),
    Bezeichnung2 VARCHAR(50),
    Menge DECIMAL(19, 4) NOT NULL CHECK (Menge <> 0),
    Mengeneinheit VARCHAR(5),
    Einzelpreis DECIMAL(19, 4) NOT NULL,
    Rabatt DECIMAL(19, 4) NOT NULL DEFAULT 0,
    Gesamtpreis DECIMAL(19, 4),
    Steuercode SMALLINT,
    Langtext TEXT,
    PRIMARY KEY (BelPosID, Mandant),
    FOREIGN KEY (BelID, Mandant) REFERENCES KHKVKBelege (BelID, Mandant),
    FOREIGN KEY (Artikelnummer, Mandant) REFERENCES KHKArtikel (Artikelnummer, Mandant)
);
CREATE INDEX IF NOT EXISTS IX_KHKVKBelegePositionen_BelID ON KHKVKBelegePositionen (Mandant, BelID);

CREATE TABLE IF NOT EXISTS KHKLagerorte (
    Lagerkennung VARCHAR(10) NOT NULL,
    Mandant SMALLINT NOT NULL,
    Bezeichnung VARCHAR(50),
    PRIMARY KEY (Lagerkennung, Mandant)
);

CREATE TABLE IF NOT EXISTS KHKLagerplaetze (
    PlatzID INTEGER NOT NULL,
    Mandant SMALLINT NOT NULL,
    Lagerkennung VARCHAR(10) NOT NULL,
    Kurzbezeichnung VARCHAR(20),
    Platzbezeichnung VARCHAR(50),
    PRIMARY KEY (PlatzID, Mandant),
    FOREIGN KEY (Lagerkennung, Mandant) REFERENCES KHKLagerorte (Lagerkennung, Mandant)
);

CREATE TABLE IF NOT EXISTS KHKLagerplatzbestaende (
    PlatzID INTEGER NOT NULL,
    Artikelnummer VARCHAR(31) NOT NULL,
    AuspraegungID INTEGER NOT NULL DEFAULT 0,
    Mandant SMALLINT NOT NULL,
    Bestand DECIMAL(19, 4) NOT NULL DEFAULT 0,
    Verfuegbarkeit DECIMAL(19, 4) NOT NULL DEFAULT 0,
    Timestamp BIGINT NOT NULL DEFAULT nextval('sage_rowversion'),
    PRIMARY KEY (PlatzID, Artikelnummer, AuspraegungID, Mandant),
    FOREIGN KEY (PlatzID, Mandant) REFERENCES KHKLagerplaetze (PlatzID, Mandant)
);

CREATE TABLE IF NOT EXISTS KHKPreislisten (
    ID INTEGER NOT NULL,
    Mandant SMALLINT NOT NULL,
    Bezeichnung VARCHAR(20),
    IstBruttopreis SMALLINT NOT NULL DEFAULT 0,
    WKz VARCHAR(3),
    PRIMARY KEY (ID, Mandant)
);

CREATE TABLE IF NOT EXISTS KHKPreislistenArtikel (
    ID INTEGER NOT NULL,
    Mandant SMALLINT NOT NULL,
    ListeID INTEGER NOT NULL,
    Artikelnummer VARCHAR(31) NOT NULL,
    AuspraegungID INTEGER NOT NULL DEFAULT 0,
    AbMenge DECIMAL(19, 4) NOT NULL DEFAULT 0,
    Einzelpreis DECIMAL(19, 4) NOT NULL,
    Timestamp BIGINT NOT NULL DEFAULT nextval('sage_rowversion'),
    PRIMARY KEY (ID, Mandant),
    FOREIGN KEY (ListeID, Mandant) REFERENCES KHKPreislisten (ID, Mandant)
);
CREATE UNIQUE INDEX IF NOT EXISTS UX_KHKPreislistenArtikel ON KHKPreislistenArtikel (Mandant, ListeID, Artikelnummer, AuspraegungID, AbMenge);

-- The rowversion emulation: an update takes the next value of the shared sequence (an insert takes it as default).
CREATE OR REPLACE TRIGGER KHKArtikel_Timestamp BEFORE UPDATE ON KHKArtikel
    FOR EACH ROW EXECUTE FUNCTION sage_rowversion_touch();

CREATE OR REPLACE TRIGGER KHKLagerplatzbestaende_Timestamp BEFORE UPDATE ON KHKLagerplatzbestaende
    FOR EACH ROW EXECUTE FUNCTION sage_rowversion_touch();

CREATE OR REPLACE TRIGGER KHKPreislistenArtikel_Timestamp BEFORE UPDATE ON KHKPreislistenArtikel
    FOR EACH ROW EXECUTE FUNCTION sage_rowversion_touch();

-- Seed data: Mandant 1 is the shop's company; Mandant 2 shows that every read and write stays within its Mandant.
INSERT INTO KHKVKBelegarten (Kennzeichen, Bezeichnung) VALUES
    ('VVA', 'Auftragsbestätigung'),
    ('VLL', 'Lieferschein'),
    ('VFR', 'Rechnung')
    ON CONFLICT DO NOTHING;

INSERT INTO KHKSteuertabelle (Steuercode, Steuersatz, Land, Steuertyp, Bezeichnung) VALUES
    (1, 27, '*', 0, 'ÁFA 27 %'),
    (2, 18, '*', 0, 'ÁFA 18 %'),
    (3, 5, '*', 0, 'ÁFA 5 %'),
    (4, 0, '*', 0, 'ÁFA 0 % (AAM)')
    ON CONFLICT DO NOTHING;

INSERT INTO KHKAdressen (Adresse, Mandant, Matchcode, Name1, Name2, Strasse, PLZ, Ort, Land, Telefon, EMail) VALUES
    (1, 1, 'KOVÁCS ÉS TÁRSA KFT', 'Kovács és Társa Kft.', NULL, 'Váci út 12.', '1132', 'Budapest', 'HU', '+36 1 555 0101', 'rendeles@kovacs-tarsa.hu'),
    (2, 1, 'SZABÓ, ÉVA', 'Szabó Éva', NULL, 'Kossuth Lajos utca 3.', '4024', 'Debrecen', 'HU', '+36 30 555 0202', 'eva.szabo@example.hu'),
    (1, 2, 'MUSTER GMBH', 'Muster GmbH', NULL, 'Hauptstraße 1', '1010', 'Wien', 'AT', NULL, 'office@muster.example')
    ON CONFLICT DO NOTHING;

INSERT INTO KHKKontokorrent (Kto, KtoArt, Mandant, Matchcode, Adresse, WKz, Kundengruppe, USER_ShopCustomerId) VALUES
    ('100001', 'D', 1, 'KOVÁCS ÉS TÁRSA KFT', 1, 'HUF', 'B2B', NULL),
    ('100002', 'D', 1, 'SZABÓ, ÉVA', 2, 'HUF', 'WEB', 'SR1:34'),
    ('100001', 'D', 2, 'MUSTER GMBH', 1, 'EUR', NULL, NULL)
    ON CONFLICT DO NOTHING;

INSERT INTO KHKArtikel (Artikelnummer, Mandant, Bezeichnung1, Bezeichnung2, Matchcode, Mengeneinheit, Steuerklasse, Aktiv, EANNummer, Gewicht) VALUES
    ('KE-100', 1, 'Fényképezőgép-táska', 'vízálló, fekete', 'FENYKEPEZOGEP-TASKA', 'db', 1, -1, '5999100000104', 0.45),
    ('SD-64', 1, 'SD kártya 64 GB', NULL, 'SD KARTYA 64 GB', 'db', 1, -1, '5999100000647', 0.01),
    ('OB-2', 1, 'Objektív 50 mm', 'f/1.8', 'OBJEKTIV 50 MM', 'db', 1, -1, NULL, 0.2),
    ('KV-5', 1, 'Könyv: Fotózás őszintén', NULL, 'KONYV FOTOZAS', 'db', 3, -1, '9789630000057', 0.6),
    ('SZALL', 1, 'Szállítási díj', NULL, 'SZALLITAS', 'db', 1, -1, NULL, NULL),
    ('UTANVET', 1, 'Utánvételi díj', NULL, 'UTANVET', 'db', 1, -1, NULL, NULL),
    ('KE-100', 2, 'Kameratasche', NULL, 'KAMERATASCHE', 'Stk', 1, -1, NULL, 0.45)
    ON CONFLICT DO NOTHING;

INSERT INTO KHKArtikelVarianten (Artikelnummer, AuspraegungID, Mandant, Auspraegung, EANNummer, Gewicht) VALUES
    ('KE-100', 1, 1, 'barna', '5999100000111', 0.45)
    ON CONFLICT DO NOTHING;

INSERT INTO KHKLagerorte (Lagerkennung, Mandant, Bezeichnung) VALUES
    ('BP', 1, 'Budapest, központi raktár'),
    ('DEB', 1, 'Debrecen, raktár'),
    ('WIEN', 2, 'Wien, Hauptlager')
    ON CONFLICT DO NOTHING;

INSERT INTO KHKLagerplaetze (PlatzID, Mandant, Lagerkennung, Kurzbezeichnung, Platzbezeichnung) VALUES
    (1, 1, 'BP', 'BP-A01', 'Budapest A/01'),
    (2, 1, 'BP', 'BP-A02', 'Budapest A/02'),
    (3, 1, 'DEB', 'DEB-01', 'Debrecen 01'),
    (1, 2, 'WIEN', 'W-01', 'Wien 01')
    ON CONFLICT DO NOTHING;

INSERT INTO KHKLagerplatzbestaende (PlatzID, Artikelnummer, AuspraegungID, Mandant, Bestand, Verfuegbarkeit) VALUES
    (1, 'KE-100', 0, 1, 10, 10),
    (2, 'KE-100', 0, 1, 2, 2),
    (3, 'KE-100', 0, 1, 3, 3),
    (1, 'SD-64', 0, 1, 140, 138),
    (1, 'OB-2', 0, 1, 2, 2),
    (3, 'OB-2', 0, 1, 5, 5),
    (1, 'KV-5', 0, 1, 25, 25),
    (1, 'KE-100', 0, 2, 99, 99)
    ON CONFLICT DO NOTHING;

INSERT INTO KHKPreislisten (ID, Mandant, Bezeichnung, IstBruttopreis, WKz) VALUES
    (1, 1, 'Webshop', 0, 'HUF'),
    (2, 1, 'Viszonteladó', 0, 'HUF'),
    (1, 2, 'Standard', 0, 'EUR')
    ON CONFLICT DO NOTHING;

INSERT INTO KHKPreislistenArtikel (ID, Mandant, ListeID, Artikelnummer, AuspraegungID, AbMenge, Einzelpreis) VALUES
    (1, 1, 1, 'KE-100', 0, 0, 7874.02),
    (2, 1, 1, 'SD-64', 0, 0, 3149.61),
    (3, 1, 1, 'OB-2', 0, 0, 78740.16),
    (4, 1, 1, 'KV-5', 0, 0, 4761.9),
    (5, 1, 1, 'KE-100', 0, 10, 7000),
    (6, 1, 2, 'KE-100', 0, 0, 6500),
    (7, 1, 2, 'SD-64', 0, 0, 2600),
    (1, 2, 1, 'KE-100', 0, 0, 39.9)
    ON CONFLICT DO NOTHING;

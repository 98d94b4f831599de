namespace SyncEngine.Testing.ShopRenter;

/// <summary>The queries the tests read Sage with: the same text for SQLite and PostgreSQL.</summary>
public static class SageSql
{
    /// <summary>The document headers (KHKVKBelege) of Mandant 1, by number.</summary>
    public const string Documents =
        "SELECT Belegnummer, Belegkennzeichen, Belegjahr, Belegdatum, Belegart, Referenznummer, Matchcode, Kopftext, A0Empfaenger, A0AdressNr, " +
        "A0Name1, A0Strasse, A0PLZ, A0Ort, A0Land, A1Name1, A1Strasse, A1PLZ, A1Ort, A1Land, Zahlungskond, Versand, WKz, " +
        "NettoBetrag, SteuerBetrag, BruttoBetrag, Memo, USER_ShopOrderId FROM KHKVKBelege WHERE Mandant = 1 ORDER BY Belegnummer";

    /// <summary>The positions (KHKVKBelegePositionen) under their document's number.</summary>
    public const string Positions =
        "SELECT b.Belegnummer, p.Position, p.Artikelnummer, p.AuspraegungID, p.Bezeichnung1, p.Menge, p.Mengeneinheit, p.Einzelpreis, p.Rabatt, p.Gesamtpreis, p.Steuercode " +
        "FROM KHKVKBelegePositionen p JOIN KHKVKBelege b ON b.Mandant = p.Mandant AND b.BelID = p.BelID WHERE p.Mandant = 1 ORDER BY b.Belegnummer, p.Position";

    /// <summary>The customers (KHKKontokorrent with its KHKAdressen row) of Mandant 1, by account number.</summary>
    public const string Customers =
        "SELECT k.Kto, k.KtoArt, k.Matchcode, k.WKz, k.Kundengruppe, k.USER_ShopCustomerId, a.Adresse, a.Name1, a.Strasse, a.PLZ, a.Ort, a.Land, " +
        "a.Telefon, a.EMail, a.LieferStrasse, a.LieferPLZ, a.LieferOrt, a.LieferLand, a.Memo " +
        "FROM KHKKontokorrent k JOIN KHKAdressen a ON a.Mandant = k.Mandant AND a.Adresse = k.Adresse WHERE k.Mandant = 1 ORDER BY k.Kto";

    /// <summary>The documents by shop order id, without the numbers Sage hands out (which follow the order of writing).</summary>
    public const string DocumentsByOrder =
        "SELECT USER_ShopOrderId, Referenznummer, Belegdatum, A0Name1, A0PLZ, A1Name1, Zahlungskond, Versand, NettoBetrag, SteuerBetrag, BruttoBetrag, Memo " +
        "FROM KHKVKBelege ORDER BY USER_ShopOrderId";

    /// <summary>The positions by shop order id.</summary>
    public const string PositionsByOrder =
        "SELECT b.USER_ShopOrderId, p.Position, p.Artikelnummer, p.Bezeichnung1, p.Menge, p.Einzelpreis, p.Gesamtpreis, p.Steuercode " +
        "FROM KHKVKBelegePositionen p JOIN KHKVKBelege b ON b.Mandant = p.Mandant AND b.BelID = p.BelID ORDER BY b.USER_ShopOrderId, p.Position";

    /// <summary>The customers by e-mail and shop customer id, with how many documents each received.</summary>
    public const string CustomersByOrder =
        "SELECT k.USER_ShopCustomerId, a.Name1, a.EMail, a.Ort, (SELECT COUNT(*) FROM KHKVKBelege b WHERE b.A0Empfaenger = k.Kto) " +
        "FROM KHKKontokorrent k JOIN KHKAdressen a ON a.Mandant = k.Mandant AND a.Adresse = k.Adresse ORDER BY a.EMail, k.USER_ShopCustomerId";

    /// <summary>The articles (KHKArtikel) of Mandant 1.</summary>
    public const string Articles =
        "SELECT Artikelnummer, Bezeichnung1, Matchcode, Mengeneinheit, Memo FROM KHKArtikel WHERE Mandant = 1 ORDER BY Artikelnummer";
}

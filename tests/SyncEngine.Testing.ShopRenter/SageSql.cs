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

    /// <summary>The articles (KHKArtikel) of Mandant 1.</summary>
    public const string Articles =
        "SELECT Artikelnummer, Bezeichnung1, Matchcode, Mengeneinheit, Memo FROM KHKArtikel WHERE Mandant = 1 ORDER BY Artikelnummer";
}

using System.Text.Json.Nodes;
using SyncEngine.Testing.ShopRenter;

namespace SyncEngine.Connectors.ShopRenter.Tests;

/// <summary>The simulator answers as the official fixtures do.</summary>
public sealed class SimulatorTests : IAsyncLifetime
{
    private ShopRenterSimulator _simulator = null!;

    public Task InitializeAsync()
    {
        _simulator = ShopRenterSimulator.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task An_orderExtend_page_has_the_fixtures_envelope_and_item_fields_and_a_page_past_the_end_is_400_40008()
    {
        var shop = _simulator.AddShop("kovacsbolt");
        shop.AddOrders(3);
        using var http = new HttpClient();
        var token = await http.PostAsync(_simulator.TokenUrl.Replace("{shopName}", shop.Name, StringComparison.Ordinal),
            new StringContent($$"""{"grant_type":"client_credentials","client_id":"{{shop.ClientId}}","client_secret":"{{shop.ClientSecret}}"}""", System.Text.Encoding.UTF8, "application/json"));
        var access = JsonNode.Parse(await token.Content.ReadAsStringAsync())!["access_token"]!.ToString();
        async Task<(int, JsonObject)> Get(string relative)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{shop.ApiBase}/{relative}");
            request.Headers.Authorization = new("Bearer", access);
            request.Headers.Accept.Add(new("application/json"));
            using var response = await http.SendAsync(request);
            return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
        }

        var (status, page) = await Get("orderExtend?full=1&page=0&limit=2");
        var fixture = SimulatedShop.FixtureObject("order_extend/response/json/get_page.json");

        Assert.Equal(200, status);
        Assert.Equal(fixture.Select(p => p.Key), page.Select(p => p.Key));
        Assert.Equal(fixture["items"]![0]!.AsObject().Select(p => p.Key).Order(), page["items"]![0]!.AsObject().Select(p => p.Key).Order());
        Assert.Equal((0, 2, 2), ((int)page["page"]!, (int)page["pageCount"]!, (int)page["limit"]!));
        Assert.Equal($"{shop.ApiBase}/orderExtend?full=1&page=1&limit=2", page["next"]!["href"]!.ToString());

        var (past, error) = await Get("orderExtend?full=1&page=2&limit=2");
        Assert.Equal((400, 40008, "Page not found! This Resource minimum page is 0 and maximum page is 1"), (past, (int)error["error"]!, error["message"]!.ToString()));
    }
}

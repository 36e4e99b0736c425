// The generators' pure parts, with no database: people (CPF, names against faker's own lists,
// ages), exact money, sale instants, and the planner's promise that the ground truth is exact.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { pt_BR } from "@faker-js/faker";
import { localPermitido } from "../../lib/geo";
import { cpfValido, geradorDePessoas, idade, type Pessoa } from "../../lib/pessoas";
import { formatarCentavos, instantesDeVenda, novoEstado, paraCentavos, Planejador, type Produto } from "../../lib/planejador";

const nomesDe = (lista: readonly string[] | undefined) => lista ?? [];
const FEMININOS = nomesDe(pt_BR.person?.first_name?.female);
const MASCULINOS = nomesDe(pt_BR.person?.first_name?.male);

/** True when `nome` starts with one of faker's first names for that sex ("Ana Clara Souza" too). */
const comecaCom = (nome: string, lista: readonly string[]) => lista.some((n) => nome.startsWith(`${n} `));

describe("people", () => {
  test("valid CPF check digits, ages 18–60, deterministic by seed", () => {
    const a = geradorDePessoas(123);
    const b = geradorDePessoas(123);
    for (let i = 0; i < 500; i++) {
      const p = a.proxima();
      assert.deepEqual(b.proxima(), p);
      assert.ok(cpfValido(p.id), `${p.id}`);
      assert.ok(p.id >= 10_000_000_000 && p.id <= 99_999_999_999);
      assert.ok(idade(p.dt_nasc) >= 18 && idade(p.dt_nasc) <= 60, p.dt_nasc);
    }
    assert.ok(cpfValido(52998224725)); // a well-known valid CPF
    assert.ok(!cpfValido(52998224724));
    assert.ok(!cpfValido(11111111111));
  });

  test("sexo is consistent with faker's sex: the first name comes from faker's list for it", () => {
    assert.ok(FEMININOS.length > 20 && MASCULINOS.length > 20, "faker pt_BR ships both first-name lists");
    const gerador = geradorDePessoas(77);
    const pessoas: Pessoa[] = Array.from({ length: 400 }, () => gerador.proxima());
    for (const p of pessoas) {
      const lista = p.sexo === "F" ? FEMININOS : MASCULINOS;
      assert.ok(
        comecaCom(p.nome, lista),
        `${p.nome} (sexo ${p.sexo}) does not start with a ${p.sexo === "F" ? "female" : "male"} first name`,
      );
    }
    const mulheres = pessoas.filter((p) => p.sexo === "F").length;
    assert.ok(mulheres > 150 && mulheres < 250, `${mulheres} women of 400: both sexes drawn`);
  });
});

test("money is exact: cents in and out", () => {
  assert.equal(paraCentavos("289.58"), 28958);
  assert.equal(paraCentavos("10.5"), 1050);
  assert.equal(paraCentavos("7"), 700);
  assert.equal(formatarCentavos(28958), "289.58");
  assert.equal(formatarCentavos(5), "0.05");
});

test("sale instants: exactly N, ascending, inside the window, weekends busier than midweek", () => {
  const fim = new Date("2026-06-30T15:00:00Z");
  const instantes = [...instantesDeVenda(50_000, 180, fim, 9)];
  assert.equal(instantes.length, 50_000);
  for (let i = 1; i < instantes.length; i++) assert.ok(instantes[i - 1] <= instantes[i]);
  assert.ok(instantes[instantes.length - 1] < fim);
  assert.ok(instantes[0].getTime() >= fim.getTime() - 180 * 86_400_000);
  const porDia = [0, 0, 0, 0, 0, 0, 0];
  for (const t of instantes) porDia[t.getUTCDay()]++;
  assert.ok(porDia[6] > porDia[2] * 1.15, porDia.join(","));
});

test("planner: every fraud breaks its rule, and no clean order breaks one (ground truth exact)", () => {
  // 9 categories × 3 products, as the catalogue has at least this much of each.
  const produtos: Produto[] = Array.from({ length: 27 }, (_, i) => ({ id: i + 1, id_categoria: (i % 9) + 1, centavos: 1000 + i * 37 }));
  const gerador = geradorDePessoas(5);
  const estados = Array.from({ length: 150 }, () => novoEstado(gerador.proxima()));
  const planejador = new Planejador(produtos, estados, 0.2, 13);
  const usados = new Map<number, Set<string>>();
  const tipos = { dispositivo: 0, local: 0, limpos: 0 };
  const inicio = Date.parse("2026-01-01T00:00:00Z");
  for (let i = 0; i < 6000; i++) {
    const p = planejador.pedido(planejador.sortearPessoa(), new Date(inicio + i * 60_000));
    const vistos = usados.get(p.id_pessoa) ?? new Set<string>();
    const primeiro = vistos.size === 0;
    const novo = !vistos.has(p.dispositivo);
    const fora = !localPermitido(p.geohash);
    if (p.fraude === "dispositivo") {
      assert.ok(!primeiro && novo, `order ${i}: a device fraud must be a device never used, after a first order`);
      assert.ok(!fora, `order ${i}: a device fraud happens near home`);
      tipos.dispositivo++;
    } else if (p.fraude === "local") {
      assert.ok(fora, `order ${i}: a location fraud comes from outside SP/MG/RJ (${p.geohash})`);
      tipos.local++;
    } else {
      assert.ok(!fora, `order ${i}: a clean order is inside SP/MG/RJ (${p.geohash})`);
      assert.ok(primeiro || !novo, `order ${i}: a clean order uses a device the person used before`);
      tipos.limpos++;
    }
    assert.equal(
      p.centavos,
      p.itens.reduce((s, it) => s + it.centavos, 0),
    );
    assert.ok(p.itens.length >= 1 && p.itens.length <= 5);
    vistos.add(p.dispositivo);
    usados.set(p.id_pessoa, vistos);
  }
  assert.ok(tipos.dispositivo > 100 && tipos.local > 100, JSON.stringify(tipos));
  assert.ok(Math.abs(tipos.dispositivo + tipos.local - 1200) < 4 * Math.sqrt(6000 * 0.2 * 0.8), JSON.stringify(tipos));
});

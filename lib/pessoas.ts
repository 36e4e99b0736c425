// People of the store: CPF-like ids with valid check digits, names consistent with sexo, and
// stable traits (segment, home city, usual device, phone) derived from the id, so every run
// and every module agrees on them without storing anything outside the OLTP model.
import { Faker, base, pt_BR } from "@faker-js/faker";
import { LUGARES_PERMITIDOS, type Lugar } from "./geo";
import { criarRng, escolher, escolherPonderado, inteiro, semente, type Rng } from "./random";

export type Sexo = "M" | "F";

export interface Pessoa {
  id: number;
  nome: string;
  sexo: Sexo;
  /** YYYY-MM-DD */
  dt_nasc: string;
}

/** The two CPF check digits of nine base digits (Receita Federal's mod-11 rule). */
function digitosCpf(base9: number[]): [number, number] {
  const dv = (digits: number[]) => {
    const soma = digits.reduce((s, d, i) => s + d * (digits.length + 1 - i), 0);
    const resto = (soma * 10) % 11;
    return resto === 10 ? 0 : resto;
  };
  const d1 = dv(base9);
  return [d1, dv([...base9, d1])];
}

export function cpfValido(id: number): boolean {
  const s = String(id);
  if (!/^\d{11}$/.test(s) || /^(\d)\1{10}$/.test(s)) return false;
  const digits = [...s].map(Number);
  const [d1, d2] = digitosCpf(digits.slice(0, 9));
  return digits[9] === d1 && digits[10] === d2;
}

/** An 11-digit id with valid CPF check digits and no leading zero (the schema's CHECK range). */
function novoCpf(rng: Rng): number {
  const base9 = [inteiro(rng, 1, 9), ...Array.from({ length: 8 }, () => inteiro(rng, 0, 9))];
  return Number([...base9, ...digitosCpf(base9)].join(""));
}

export const DISPOSITIVOS = ["Samsung", "Iphone", "Motorola", "Xiaomi", "Nokia", "LG", "Asus"] as const;
export type Dispositivo = (typeof DISPOSITIVOS)[number];

export type Segmento = "M<35" | "M>=35" | "F<35" | "F>=35";

interface RegraSegmento {
  categorias: number[];
  /** Capitals where the segment concentrates (the original's usual geohash cells). */
  capitais: string[];
  dispositivos: Partial<Record<Dispositivo, number>>;
}

/** The original course's segments, with a realistic spread of devices around its single brand. */
const SEGMENTOS: Record<Segmento, RegraSegmento> = {
  "M<35": {
    categorias: [1, 4, 5, 6],
    capitais: ["São Paulo", "Belo Horizonte", "Rio de Janeiro"],
    dispositivos: { Samsung: 6, Motorola: 3, Iphone: 1 },
  },
  "M>=35": { categorias: [1, 4, 5, 6, 7, 8, 9], capitais: ["São Paulo"], dispositivos: { Samsung: 6, Motorola: 2, Iphone: 2 } },
  "F<35": { categorias: [2, 4, 8, 9], capitais: ["São Paulo", "Rio de Janeiro"], dispositivos: { Iphone: 6, Samsung: 3, Motorola: 1 } },
  "F>=35": { categorias: [1, 2, 3, 4, 7, 8, 9], capitais: ["Belo Horizonte"], dispositivos: { Iphone: 6, Samsung: 3, Motorola: 1 } },
};

const DDD: Record<string, string> = { SP: "11", MG: "31", RJ: "21" };

export function idade(dtNasc: string, em: Date = new Date()): number {
  const [a, m, d] = dtNasc.split("-").map(Number);
  let anos = em.getUTCFullYear() - a;
  if (em.getUTCMonth() + 1 < m || (em.getUTCMonth() + 1 === m && em.getUTCDate() < d)) anos--;
  return anos;
}

function segmentoDe(p: Pick<Pessoa, "sexo" | "dt_nasc">, em?: Date): Segmento {
  return `${p.sexo}${idade(p.dt_nasc, em) < 35 ? "<35" : ">=35"}` as Segmento;
}

export interface Perfil {
  segmento: Segmento;
  categorias: number[];
  cidade: Lugar;
  dispositivo: Dispositivo;
  telefone: string;
}

/** Stable traits of a person, derived from the id (same answer in every run and module). */
export function perfilDe(p: Pessoa, em?: Date): Perfil {
  const rng = criarRng(semente("perfil", p.id));
  const segmento = segmentoDe(p, em);
  const regra = SEGMENTOS[segmento];
  const naCapital = LUGARES_PERMITIDOS.filter((l) => regra.capitais.includes(l.nome));
  // Most live in the segment's metro areas; the rest anywhere in SP/MG/RJ.
  const cidade = naCapital.length && rng() < 0.7 ? escolher(rng, naCapital) : escolher(rng, LUGARES_PERMITIDOS);
  const marcas = Object.keys(regra.dispositivos) as Dispositivo[];
  const dispositivo = escolherPonderado(
    rng,
    marcas,
    marcas.map((m) => regra.dispositivos[m] ?? 0),
  );
  const numero = String(p.id).slice(-8);
  const telefone = `55${DDD[cidade.uf] ?? "11"}9${numero}`;
  return { segmento, categorias: regra.categorias, cidade, dispositivo, telefone };
}

export interface GeradorDePessoas {
  proxima(): Pessoa;
}

/** Faker pt_BR, seeded: names match sexo, ages 18–60 at `hoje`. */
export function geradorDePessoas(seed: number, hoje: Date = new Date()): GeradorDePessoas {
  const faker = new Faker({ locale: [pt_BR, base] });
  faker.seed(seed);
  const rng = criarRng(semente("pessoas", seed));
  return {
    proxima(): Pessoa {
      const sex = rng() < 0.5 ? "female" : "male";
      const nome = `${faker.person.firstName(sex)} ${faker.person.lastName()}`;
      const nascimento = faker.date.birthdate({ mode: "age", min: 18, max: 60, refDate: hoje });
      return { id: novoCpf(rng), nome, sexo: sex === "female" ? "F" : "M", dt_nasc: nascimento.toISOString().slice(0, 10) };
    },
  };
}

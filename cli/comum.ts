// Shared plumbing of the kit's CLIs: strict flags with pt-BR errors, exit codes
// (2 = bad input or unusable environment, 1 = unexpected failure), clean stop on signals.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ErroDeUso } from "../lib/geradores";

export { ErroDeUso };

type Opcoes = NonNullable<ParseArgsConfig["options"]>;

export function lerArgumentos<O extends Opcoes>(options: O, uso: string): ReturnType<typeof parseArgs<{ options: O; strict: true }>>["values"] {
  try {
    return parseArgs({ args: process.argv.slice(2), options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    const mensagem = (err as Error).message;
    const desconhecida = /Unknown option '([^']+)'/.exec(mensagem);
    const semValor = /Option '([^']+?)(?: <value>)?' argument (?:is ambiguous|missing)/.exec(mensagem);
    const motivo = desconhecida
      ? `opção desconhecida: ${desconhecida[1]}`
      : semValor
        ? `valor ausente ou ambíguo para ${semValor[1]} (para um valor que começa com "-", use ${semValor[1]}=VALOR)`
        : mensagem;
    throw new ErroDeUso(`${motivo}\n\n${uso}`);
  }
}

export function numero(nome: string, valor: string | undefined, padrao: number): number {
  if (valor === undefined) return padrao;
  const n = Number(valor);
  if (valor.trim() === "" || !Number.isFinite(n)) throw new ErroDeUso(`--${nome} inválido: "${valor}". Esperado um número.`);
  return n;
}

/** "30s", "2m", "500ms", "1h" → milliseconds. */
export function duracao(nome: string, valor: string | undefined): number | undefined {
  if (valor === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(valor.trim());
  if (!m) throw new ErroDeUso(`--${nome} inválido: "${valor}". Esperado um número com unidade: 500ms, 30s, 2m ou 1h.`);
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"]);
}

/** Sets a flag on SIGINT/SIGTERM; the generators stop after the transaction in progress. */
export function pararComSinal(): () => boolean {
  let parar = false;
  const aoSinal = (sinal: string) => {
    if (!parar) console.error(`\n${sinal} recebido: parando depois da transação em andamento…`);
    parar = true;
  };
  process.on("SIGINT", () => aoSinal("SIGINT"));
  process.on("SIGTERM", () => aoSinal("SIGTERM"));
  return () => parar;
}

/** Calls `imprimir` at most every `ms` milliseconds (progress lines on long runs). */
export function aCada<T>(ms: number, imprimir: (valor: T) => void): (valor: T) => void {
  let ultimo = 0;
  return (valor) => {
    if (Date.now() - ultimo >= ms) {
      ultimo = Date.now();
      imprimir(valor);
    }
  };
}

export function executar(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: Error) => {
      console.error(`Erro: ${err.message}`);
      process.exit(err instanceof ErroDeUso ? 2 : 1);
    },
  );
}

export const fmt = (n: number, casas = 0) => n.toLocaleString("pt-BR", { maximumFractionDigits: casas, minimumFractionDigits: casas });

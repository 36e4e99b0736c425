// Shared plumbing of the kit's CLIs: strict flags with pt-BR errors, exit codes
// (lib/erros codigoDeSaida: 2 = bad input or unusable environment, 1 = unexpected failure),
// clean stop on signals.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { codigoDeSaida, ErroDeUso } from "../lib/erros";

export { ErroDeUso };

type Opcoes = NonNullable<ParseArgsConfig["options"]>;

export function lerArgumentos<O extends Opcoes>(
  options: O,
  uso: string,
): ReturnType<typeof parseArgs<{ options: O; strict: true }>>["values"] {
  try {
    return parseArgs({ args: process.argv.slice(2), options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new ErroDeUso(`${motivoDoParseArgs(err, options)}\n\n${uso}`, { cause: err });
  }
}

/**
 * Node's parseArgs tells what went wrong by its error `code`; the flag involved is found by
 * looking the arguments up against the declared options, not by reading the English message.
 */
function motivoDoParseArgs(err: unknown, options: Opcoes): string {
  const code = (err as { code?: string }).code;
  const args = process.argv.slice(2);
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const flags = args.filter((a) => a.startsWith("-") && a !== "-" && a !== "--").map((a) => a.split("=")[0]!);
    const conhecida = (f: string) =>
      f.startsWith("--") ? f.slice(2) in options : Object.values(options).some((o) => o.short === f.slice(1));
    return `opção desconhecida: ${flags.find((f) => !conhecida(f)) ?? flags.join(" ")}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    // The string option whose value is missing: last argument, or followed by something dash-led.
    const i = args.findIndex(
      (a, j) => a.startsWith("--") && !a.includes("=") && options[a.slice(2)]?.type === "string" && (args[j + 1] ?? "-").startsWith("-"),
    );
    const comValor = i >= 0 ? args[i]! : "a opção";
    return `valor ausente ou ambíguo para ${comValor} (para um valor que começa com "-", use ${comValor}=VALOR)`;
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    return `argumento inesperado: ${args.find((a) => !a.startsWith("-")) ?? args.join(" ")} (todas as opções têm a forma --nome valor)`;
  }
  return (err as Error).message;
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

/** The one runner of every CLI: exit with main's code (0 by default), or by `codigoDeSaida`. */
export function executar(main: () => Promise<unknown>): void {
  main().then(
    (codigo) => process.exit(typeof codigo === "number" ? codigo : 0),
    (err: Error) => {
      console.error(`Erro: ${err.message}`);
      process.exit(codigoDeSaida(err));
    },
  );
}

export const fmt = (n: number, casas = 0) => n.toLocaleString("pt-BR", { maximumFractionDigits: casas, minimumFractionDigits: casas });

// The HTTP transport to Kafka Connect's REST API: one bounded request, the JSON answer parsed,
// and an unreachable worker reported as an ErroServicoFora with the URL that was tried.
import { config } from "../config";
import { ErroLiga, ErroServicoFora } from "../erros";

export interface RespostaRest {
  status: number;
  corpo: unknown;
}

const REST_TIMEOUT_MS = 20_000;

/** The worker's base URL (CONNECT_URL of .env). */
export const urlConnect = (): string => config().connect.url;

/** One request to the REST API; any HTTP status is an answer, only no answer at all throws. */
export async function rest(method: string, caminho: string, corpo?: unknown, timeoutMs = REST_TIMEOUT_MS): Promise<RespostaRest> {
  const url = `${urlConnect()}${caminho}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: corpo === undefined ? undefined : JSON.stringify(corpo),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error;
    const motivo =
      e.name === "TimeoutError"
        ? `sem resposta em ${Math.round(timeoutMs / 1000)} s`
        : ((e.cause as Error | undefined)?.message ?? e.message);
    throw new ErroServicoFora(
      "connect",
      url,
      `Kafka Connect não respondeu em ${url} (${motivo}). A stack está no ar? Rode \`npm run stack -- status\` (ou \`docker compose ps\`).`,
      { cause: err },
    );
  }
  const texto = await res.text();
  let json: unknown = null;
  try {
    json = texto ? JSON.parse(texto) : null;
  } catch {
    json = texto;
  }
  return { status: res.status, corpo: json };
}

/** The message Connect put in an error answer ({"error_code", "message"}), or the body as text. */
export function mensagemRest(r: RespostaRest): string {
  const corpo = r.corpo as { message?: string } | string | null;
  return typeof corpo === "object" && corpo?.message ? corpo.message : String(corpo ?? "");
}

/** An unexpected HTTP status, with what Connect said about it. */
export function erroHttp(r: RespostaRest, acao: string): ErroLiga {
  return new ErroLiga(`Kafka Connect respondeu HTTP ${r.status} ao ${acao}: ${mensagemRest(r)}`);
}

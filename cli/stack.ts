// `npm run stack -- up|down|status|logs [serviço]`: the native stack, for machines without a
// Docker engine. Same services, versions, ports and credentials as docker-compose.yml.
import { existsSync, readFileSync } from "node:fs";
import { config } from "../lib/config";
import { healthReport, type Health } from "../lib/health";
import { logFile, stackDirs, tail } from "../stack/proc";
import { SERVICES, stackDown, stackUp } from "../stack/services";
import { ErroDeUso, executar } from "./comum";

function printHealth(report: Health[], logs: (service: string) => string): void {
  const rows = report.map((h) => [h.ok ? "ok" : "FALHA", h.service, h.address, h.ok ? h.detail : h.detail.split("\n")[0], logs(h.service)]);
  const header = ["estado", "serviço", "endereço", "detalhe", "log"];
  const widths = header.map((_, i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

const USAGE = `Uso: npm run stack -- <comando>

  up              instala o que falta e sobe todos os serviços (idempotente)
  down            para todos os serviços iniciados pelo kit
  status          saúde de cada serviço (código de saída 1 se algum falhar)
  logs [serviço] [-n linhas]  últimas linhas do log (todos os serviços se nenhum for dado)

Serviços: ${SERVICES.join(", ")}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const cfg = config();
  const dirs = stackDirs(cfg.root);
  const logs = (service: string) => logFile(dirs, service).replace(`${cfg.root}/`, "");
  switch (command) {
    case "up": {
      const report = await stackUp(cfg, dirs);
      printHealth(report, logs);
      return report.every((h) => h.ok) ? 0 : 1;
    }
    case "down":
      await stackDown(cfg, dirs);
      return 0;
    case "status": {
      const report = await healthReport(cfg);
      printHealth(report, logs);
      return report.every((h) => h.ok) ? 0 : 1;
    }
    case "logs": {
      const nIndex = rest.indexOf("-n");
      const lines = nIndex >= 0 ? Number(rest[nIndex + 1]) : 30;
      if (!Number.isInteger(lines) || lines <= 0) {
        throw new ErroDeUso(`Valor inválido para -n: "${rest[nIndex + 1] ?? ""}". Esperado um inteiro positivo.`);
      }
      const names = nIndex >= 0 ? rest.filter((_, i) => i !== nIndex && i !== nIndex + 1) : rest;
      const unknown = names.filter((n) => !(SERVICES as readonly string[]).includes(n));
      if (unknown.length) {
        throw new ErroDeUso(`Serviço desconhecido: ${unknown.join(", ")}. Esperado um de: ${SERVICES.join(", ")}.`);
      }
      for (const service of names.length ? names : SERVICES) {
        const file = logFile(dirs, service);
        console.log(`==> ${logs(service)} <==`);
        console.log(existsSync(file) ? tail(readFileSync(file, "utf8"), lines) : "(sem log: o serviço ainda não foi iniciado)");
      }
      return 0;
    }
    default:
      throw new ErroDeUso(command ? `Comando desconhecido: "${command}".\n\n${USAGE}` : USAGE);
  }
}

executar(() => main(process.argv.slice(2)));

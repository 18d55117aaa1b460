/**
 * The benchmark playbook: a data contract of about 40 fields, 8 health
 * components, 3 tiers and 20 triggers, and a generator of matching accounts.
 */
export const FIELD_NAMES = {
  usage: Array.from({ length: 8 }, (_, i) => `usage_${i}`),
  counts: Array.from({ length: 12 }, (_, i) => `count_${i}`),
  flags: Array.from({ length: 8 }, (_, i) => `flag_${i}`),
};

export function benchPlaybook(): string {
  const fields = [
    "arr: money",
    "seats: int",
    "seats_active: int",
    "nps: int?",
    "contract_start: date",
    "renewal_date: date",
    "plan: enum(basic, pro, enterprise)",
    "admin_email: email",
    "csm_email: email?",
    "timezone: string = \"UTC\"",
    ...FIELD_NAMES.usage.map((f) => `${f}: number`),
    ...FIELD_NAMES.counts.map((f) => `${f}: int`),
    ...FIELD_NAMES.flags.map((f) => `${f}: bool`),
  ];
  const components = FIELD_NAMES.usage.map((f, i) => `    c${i} ${i < 4 ? "15%" : "10%"} = scale(${f}, 0 .. ${10 + i * 10})`);
  const triggers = Array.from({ length: 20 }, (_, i) => {
    const condition = [
      `health.score < ${30 + i * 2} and count_${i % 12} > ${i}`,
      `flag_${i % 8} and usage_${i % 8} < ${5 + i}`,
      `days_until(renewal_date) <= ${30 + i * 5} and health.status != "green"`,
      `seats_active / seats < ${0.2 + (i % 5) * 0.1} and not flag_${(i + 1) % 8}`,
    ][i % 4];
    return `  trigger t${i} {
    ${i % 3 === 0 ? "for tech_touch" : i % 3 === 1 ? "for low_touch, high_touch" : ""}
    when ${condition}
    cooldown ${7 + i}d
    ${i % 2 === 0 ? `email "tpl" priority ${i} to admin_email` : `task "Call about t${i}" owner csm_email ?? "cs@example.com"`}
  }`;
  });
  return `playbook "bench" {
  account {
${fields.map((f) => `    ${f}`).join("\n")}
  }
  metric utilization = seats_active / seats
  health {
${components.join("\n")}
    cap yellow when flag_0 and flag_1
    status green >= 70, yellow >= 40
  }
  tiers {
    high_touch when arr >= 100_000
    low_touch  when arr >= 20_000
    tech_touch otherwise
  }
  template "tpl" { subject "Hi" body "Hello" }
${triggers.join("\n")}
  policies { cap email 2 per 7d }
}
`;
}

let seed = 7;
export function random(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}

/** One account as a CSV row (and its header), values drawn from `random`. */
export function accountRow(i: number): string[] {
  const arr = Math.floor(random() * 200_000);
  const seats = 1 + Math.floor(random() * 50);
  const start = 19000 + Math.floor(random() * 1500);
  return [
    `A${i}`, String(arr), String(seats), String(Math.floor(random() * seats)), random() < 0.3 ? "" : String(Math.floor(random() * 11)),
    isoDate(start), isoDate(start + 365 * 2), ["basic", "pro", "enterprise"][i % 3]!, `admin${i}@example.com`, i % 4 === 0 ? "" : `csm${i % 40}@example.com`, "UTC",
    ...FIELD_NAMES.usage.map(() => (random() * 100).toFixed(2)),
    ...FIELD_NAMES.counts.map(() => String(Math.floor(random() * 30))),
    ...FIELD_NAMES.flags.map(() => (random() < 0.2 ? "true" : "false")),
  ];
}

export const ACCOUNT_HEADER = ["account_id", "arr", "seats", "seats_active", "nps", "contract_start", "renewal_date", "plan", "admin_email", "csm_email", "timezone", ...FIELD_NAMES.usage, ...FIELD_NAMES.counts, ...FIELD_NAMES.flags];

function isoDate(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

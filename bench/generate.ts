/**
 * Generates a large, valid playbook for benchmarks: a data contract of many
 * fields, hundreds of metrics and segments, a health score, tiers, onboarding
 * and triggers, about `targetLines` lines of `.play`.
 */
export function generatePlaybook(targetLines = 2000): string {
  const lines: string[] = ['/// Generated for benchmarks', 'playbook "generated" {', "  version 1", "", "  account {"];
  const fields = 120;
  for (let i = 0; i < fields; i++) lines.push(`    f${i}: ${i % 5 === 0 ? "money" : i % 7 === 0 ? "int?" : "int"}`);
  lines.push("    plan: enum(basic, pro, enterprise)", "    contract_start: date", "    renewal_date: date", "    admin_email: email", "  }", "");
  lines.push("  events {", "    login { user_id: string }", "    key_feature { feature: string }", "  }", "");
  const templates = 10;
  const health = ["  health {"];
  for (let c = 0; c < 10; c++) health.push(`    c${c} 10% = scale(m${c * 3}, 0 .. ${100 + c})`);
  health.push("    cap yellow when s1", "    status green >= 70, yellow >= 40", "    trend 30d", "  }", "");
  const tiers = ["  tiers {", "    high_touch when f0 >= 100_000", "    low_touch  when f0 >= 20_000", "    tech_touch otherwise", "  }", ""];
  const onboarding = ["  onboarding from contract_start due_soon 3d {"];
  for (let m = 0; m < 20; m++) onboarding.push(`    step${m} due ${(m + 1) * 3}d${m > 0 ? ` after step${m - 1}` : ""} done when (f${m + 1} ?? 0) >= ${m}`);
  onboarding.push("  }", "");
  const templateLines: string[] = [];
  for (let t = 0; t < templates; t++) templateLines.push(`  template "t${t}" { subject "Subject ${t}" body "Hello {{ account.admin_email }}" }`);
  templateLines.push("");
  const fixed = lines.length + health.length + tiers.length + onboarding.length + templateLines.length + 1;
  // Fill the rest with metrics, segments and triggers in a 4:2:1 mix (a trigger is 6 lines).
  const body: string[] = [];
  let metric = 0;
  let segment = 0;
  let trigger = 0;
  while (fixed + body.length < targetLines) {
    for (let k = 0; k < 4; k++, metric++) {
      const a = `f${(metric * 7) % fields}`;
      const b = `f${(metric * 11 + 1) % fields}`;
      body.push(metric % 3 === 0 ? `  metric m${metric} = (${a} ?? 0) / max(${b} ?? 1, 1) * 100` : `  metric m${metric} = ${a} ?? 0 + count("login", ${(metric % 9) + 1}d)`);
    }
    for (let k = 0; k < 2; k++, segment++) body.push(`  segment s${segment} = m${Math.max(0, metric - 1 - k)} > ${segment % 50} and plan != "basic"`);
    if (trigger < 60) {
      body.push(`  trigger tr${trigger} {`, `    for tech_touch`, `    when s${Math.max(0, segment - 1)} and health.score < ${40 + (trigger % 30)}`, "    cooldown 14d", `    email "t${trigger % templates}" to admin_email`, "  }");
      trigger++;
    }
  }
  return [...lines, ...body, "", ...health, ...tiers, ...onboarding, ...templateLines, "}", ""].join("\n");
}

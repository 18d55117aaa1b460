import { describe, expect, it } from "vitest";
import type { MrrRow } from "../../src/simulate/history.js";
import { monthlyFigures, netPromoterScore, renewalRate } from "../../src/simulate/kpi.js";

const JAN = (2026 - 1970) * 12;
const FEB = JAN + 1;
const MAR = JAN + 2;
const row = (account: string, month: number, mrr: number, product: string | null = null): MrrRow => ({ account, month, mrr, product });

describe("KPIs, against the primer's worked examples", () => {
  it("1. 100 members, 10 cancel: customer churn 10%", () => {
    const rows = Array.from({ length: 100 }, (_, i) => [row(`a${i}`, JAN, 10), ...(i < 90 ? [row(`a${i}`, FEB, 10)] : [])]).flat();
    expect(monthlyFigures(rows, FEB, FEB)[0]!.logoChurnRate).toBe(10);
  });

  it("2. revenue churn divides by the start-of-period revenue (20%), customer churn 3 of 20 (15%)", () => {
    const rows: MrrRow[] = [];
    for (let i = 0; i < 10; i++) rows.push(row(`s${i}`, JAN, 50_000), row(`s${i}`, FEB, 50_000));
    for (let i = 0; i < 10; i++) rows.push(row(`p${i}`, JAN, 100_000), ...(i < 7 ? [row(`p${i}`, FEB, 100_000)] : []));
    const feb = monthlyFigures(rows, FEB, FEB)[0]!;
    expect(feb.mrrStart).toBe(1_500_000);
    expect(feb.revenueChurnRate).toBe(20);
    expect(feb.logoChurnRate).toBe(15);
  });

  it("3. 100 customers at the start, 90 at the end, 10 acquired: retention 80%", () => {
    const rows: MrrRow[] = [];
    for (let i = 0; i < 100; i++) rows.push(row(`a${i}`, JAN, 10), ...(i < 80 ? [row(`a${i}`, FEB, 10)] : []));
    for (let i = 0; i < 10; i++) rows.push(row(`n${i}`, FEB, 10));
    const feb = monthlyFigures(rows, FEB, FEB)[0]!;
    expect([feb.customersStart, feb.customersEnd, feb.newCustomers]).toEqual([100, 90, 10]);
    expect(feb.customerRetentionRate).toBe(80);
  });

  it("5. start MRR 10,000,000, upsell +500,000, downsell -200,000, churn -800,000: NRR 95% on the start MRR, GRR 90%", () => {
    const rows = [row("up", JAN, 2_000_000), row("up", FEB, 2_500_000), row("down", JAN, 1_000_000), row("down", FEB, 800_000), row("gone", JAN, 800_000), row("same", JAN, 6_200_000), row("same", FEB, 6_200_000)];
    const feb = monthlyFigures(rows, FEB, FEB)[0]!;
    expect(feb.mrrStart).toBe(10_000_000);
    expect([feb.expansionMrr, feb.contractionMrr, feb.churnMrr]).toEqual([500_000, 200_000, 800_000]);
    expect(feb.nrr).toBe(95);
    expect(feb.grr).toBe(90);
  });

  it("4. 100 up for renewal, 80 renew: 80%; NPS from promoters, passives and detractors", () => {
    expect(renewalRate(100, 80)).toBe(80);
    expect(renewalRate(0, 0)).toBeNull();
    expect(netPromoterScore([10, 9, 8, 7, 6, 0, 10, 9, 3, 8])).toEqual({ answers: 10, promoters: 4, passives: 3, detractors: 3, nps: 10 });
    expect(netPromoterScore([]).nps).toBeNull();
  });
});

describe("KPIs over several months, worked by hand", () => {
  // X: 100 in January, nothing in February (a zero month: churn), 120 in March (reactivation).
  // Y: 200, then 150 (downgrade), then 150. Z: new in February at 50, 80 in March (upgrade), and a second product.
  const rows = [
    row("X", JAN, 100, "core"), row("X", FEB, 0, "core"), row("X", MAR, 120, "core"),
    row("Y", JAN, 200, "core"), row("Y", FEB, 150, "core"), row("Y", MAR, 150, "core"),
    row("Z", FEB, 50, "core"), row("Z", MAR, 50, "core"), row("Z", MAR, 30, "addon"),
  ];
  const [feb, mar] = monthlyFigures(rows, FEB, MAR);

  it("February: churn, downgrade and a new customer", () => {
    expect(feb).toMatchObject({ month: "2026-02", customersStart: 2, customersEnd: 2, churned: 1, newCustomers: 1, mrrStart: 300, mrr: 200, arr: 2400, churnMrr: 100, contractionMrr: 50, newMrr: 50 });
    expect(feb).toMatchObject({ logoChurnRate: 50, revenueChurnRate: 50, grr: 50, nrr: 50, customerRetentionRate: 50, arpa: 150, ltv: 300 });
  });

  it("March: a reactivation (not new), an upgrade by cross-sell, no churn (LTV unbounded)", () => {
    expect(mar).toMatchObject({ month: "2026-03", customersStart: 2, customersEnd: 3, churned: 0, newCustomers: 0, reactivated: 1, reactivationMrr: 120, expansionMrr: 30, upsold: 1, crossSold: 1, mrrStart: 200, mrr: 350 });
    expect(mar).toMatchObject({ logoChurnRate: 0, revenueChurnRate: 0, grr: 100, nrr: 115, customerRetentionRate: 100, upsellRate: 50, crossSellRate: 50, ltv: null });
  });
});

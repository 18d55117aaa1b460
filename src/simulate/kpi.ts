import type { MrrRow } from "./history.js";

/** Portfolio figures of one month, from the revenue in effect that month and the month before. */
export interface MonthFigures {
  /** YYYY-MM */
  month: string;
  customersStart: number;
  customersEnd: number;
  newCustomers: number;
  reactivated: number;
  churned: number;
  upsold: number;
  crossSold: number | null;
  mrrStart: number;
  mrr: number;
  arr: number;
  newMrr: number;
  reactivationMrr: number;
  expansionMrr: number;
  contractionMrr: number;
  churnMrr: number;
  /** percentages, null when the denominator is 0 */
  logoChurnRate: number | null;
  revenueChurnRate: number | null;
  grr: number | null;
  nrr: number | null;
  customerRetentionRate: number | null;
  upsellRate: number | null;
  crossSellRate: number | null;
  /** average revenue per account at the start of the month */
  arpa: number | null;
  /** arpa / monthly logo churn; null without churn (unbounded) */
  ltv: number | null;
}

/** How each figure is computed, stated next to it in every output. */
export const FORMULAS: Record<string, string> = {
  mrr: "sum of the MRR in effect for the month",
  arr: "MRR x 12",
  customersStart: "accounts with MRR > 0 in the month before",
  logoChurnRate: "accounts that went from MRR > 0 to none / customers at the start of the month x 100",
  revenueChurnRate: "(churn MRR + contraction MRR) / MRR at the start of the month x 100 (start-of-period denominator)",
  grr: "(start MRR - contraction MRR - churn MRR) / start MRR x 100",
  nrr: "(start MRR + expansion MRR - contraction MRR - churn MRR) / start MRR x 100 (new and reactivated MRR left out)",
  customerRetentionRate: "(customers at the end - new and reactivated customers) / customers at the start x 100",
  upsellRate: "customers paying more than the month before / customers at the start x 100",
  crossSellRate: "customers paying for a product they did not have the month before / customers at the start x 100",
  arpa: "MRR at the start of the month / customers at the start",
  ltv: "ARPA / monthly logo churn rate (before gross margin)",
  newMrr: "MRR of accounts paying for the first time",
  reactivationMrr: "MRR of accounts paying again after a month or more without",
};

/** The epoch day a month (months since 1970-01) starts on. */
export function firstDayOfMonth(month: number): number {
  return Date.UTC(1970 + Math.floor(month / 12), month % 12, 1) / 86_400_000;
}

/** The month (months since 1970-01) an epoch day is in. */
export function monthOfDay(day: number): number {
  const date = new Date(day * 86_400_000);
  return (date.getUTCFullYear() - 1970) * 12 + date.getUTCMonth();
}

export function monthText(month: number): string {
  return `${1970 + Math.floor(month / 12)}-${String((month % 12) + 1).padStart(2, "0")}`;
}

const percent = (part: number, whole: number) => (whole === 0 ? null : (part * 100) / whole);

/** The figures of each month from `from` to `to` (months since 1970-01), every account counted. */
export function monthlyFigures(rows: readonly MrrRow[], from: number, to: number, only?: (account: string, month: number) => boolean): MonthFigures[] {
  const hasProducts = rows.some((r) => r.product !== null);
  // Per account: month -> total MRR, and the products paid for.
  const byAccount = new Map<string, Map<number, { mrr: number; products: Set<string> }>>();
  for (const row of rows) {
    let months = byAccount.get(row.account);
    if (!months) byAccount.set(row.account, (months = new Map()));
    let entry = months.get(row.month);
    if (!entry) months.set(row.month, (entry = { mrr: 0, products: new Set() }));
    entry.mrr += row.mrr;
    if (row.product !== null && row.mrr > 0) entry.products.add(row.product);
  }
  const firstPaid = new Map<string, number>();
  for (const [account, months] of byAccount) {
    const paid = [...months].filter(([, e]) => e.mrr > 0).map(([m]) => m);
    if (paid.length > 0) firstPaid.set(account, Math.min(...paid));
  }
  const out: MonthFigures[] = [];
  for (let month = from; month <= to; month++) {
    const f = { customersStart: 0, customersEnd: 0, newCustomers: 0, reactivated: 0, churned: 0, upsold: 0, crossSold: 0, mrrStart: 0, mrr: 0, newMrr: 0, reactivationMrr: 0, expansionMrr: 0, contractionMrr: 0, churnMrr: 0 };
    for (const [account, months] of byAccount) {
      if (only && !only(account, month)) continue;
      const before = months.get(month - 1);
      const now = months.get(month);
      const previous = before?.mrr ?? 0;
      const current = now?.mrr ?? 0;
      if (previous > 0) {
        f.customersStart++;
        f.mrrStart += previous;
      }
      if (current > 0) {
        f.customersEnd++;
        f.mrr += current;
      }
      if (previous > 0 && current > 0) {
        if (current > previous) {
          f.expansionMrr += current - previous;
          f.upsold++;
        } else if (current < previous) f.contractionMrr += previous - current;
        if ([...now!.products].some((p) => !before!.products.has(p))) f.crossSold++;
      } else if (previous > 0) {
        f.churned++;
        f.churnMrr += previous;
      } else if (current > 0) {
        if (firstPaid.get(account)! < month) {
          f.reactivated++;
          f.reactivationMrr += current;
        } else {
          f.newCustomers++;
          f.newMrr += current;
        }
      }
    }
    const logoChurnRate = percent(f.churned, f.customersStart);
    const arpa = f.customersStart === 0 ? null : f.mrrStart / f.customersStart;
    out.push({
      month: monthText(month),
      ...f,
      crossSold: hasProducts ? f.crossSold : null,
      arr: f.mrr * 12,
      logoChurnRate,
      revenueChurnRate: percent(f.churnMrr + f.contractionMrr, f.mrrStart),
      grr: percent(f.mrrStart - f.contractionMrr - f.churnMrr, f.mrrStart),
      nrr: percent(f.mrrStart + f.expansionMrr - f.contractionMrr - f.churnMrr, f.mrrStart),
      customerRetentionRate: percent(f.customersEnd - f.newCustomers - f.reactivated, f.customersStart),
      upsellRate: percent(f.upsold, f.customersStart),
      crossSellRate: hasProducts ? percent(f.crossSold, f.customersStart) : null,
      arpa,
      ltv: arpa === null || !logoChurnRate ? null : arpa / (logoChurnRate / 100),
    });
  }
  return out;
}

export interface NpsFigures {
  answers: number;
  promoters: number;
  passives: number;
  detractors: number;
  /** % promoters - % detractors, -100..100; null without answers */
  nps: number | null;
}

/** NPS from answers 0..10: promoters 9-10, passives 7-8, detractors 0-6. */
export function netPromoterScore(answers: readonly number[]): NpsFigures {
  const promoters = answers.filter((a) => a >= 9).length;
  const detractors = answers.filter((a) => a <= 6).length;
  const n = answers.length;
  return { answers: n, promoters, passives: n - promoters - detractors, detractors, nps: n === 0 ? null : ((promoters - detractors) / n) * 100 };
}

/** Customers who renewed / customers up for renewal x 100; null when nobody was up for renewal. */
export function renewalRate(upForRenewal: number, renewed: number): number | null {
  return percent(renewed, upForRenewal);
}

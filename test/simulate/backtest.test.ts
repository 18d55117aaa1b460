import { describe, expect, it } from "vitest";
import { captureFigures, median, rateByDecile, rocAuc } from "../../src/simulate/backtest.js";

describe("backtest figures, against cases worked by hand", () => {
  it("precision, recall and lead time within a horizon, leaving out alerts the outcomes do not cover", () => {
    const alerts = [
      { account: "A", day: 10 }, // A churns on 15: within (10, 20], right
      { account: "A", day: 50 }, // no churn of A after 50
      { account: "B", day: 20 }, // B churns on 40: outside (20, 30]
      { account: "C", day: 95 }, // 95 + 10 > 100: not scored
      { account: "D", day: 30 },
    ];
    const churns = [
      { account: "A", day: 15 }, // alert on 10 is in [5, 15): caught 5 days ahead
      { account: "B", day: 40 }, // alert on 20 is before [30, 40): missed
      { account: "E", day: 60 },
    ];
    const figures = captureFigures(alerts, churns, 10, 100);
    expect(figures).toEqual({ alertsScored: 4, alertsFollowedByChurn: 1, precision: 0.25, churns: 3, churnsCaught: 1, recall: 1 / 3, leadTimes: [5], medianLeadTime: 5 });
  });

  it("an alert on the churn day itself is too late, and the earliest alert in the horizon gives the lead time", () => {
    const figures = captureFigures([{ account: "A", day: 20 }, { account: "A", day: 15 }, { account: "A", day: 12 }, { account: "A", day: 8 }], [{ account: "A", day: 20 }], 10, 100);
    expect(figures.churnsCaught).toBe(1);
    // The alert on 8 is before [10, 20); the one on 12 is the earliest within it.
    expect(figures.leadTimes).toEqual([8]);
    expect(captureFigures([{ account: "A", day: 20 }], [{ account: "A", day: 20 }], 10, 100).churnsCaught).toBe(0);
    expect(captureFigures([], [], 10, 100)).toMatchObject({ precision: null, recall: null, medianLeadTime: null });
  });

  it("the median of an even count is the mean of the middle two", () => {
    expect(median([9, 1, 4, 3])).toBe(3.5);
    expect(median([])).toBeNull();
  });

  it("ROC AUC counts ties as half", () => {
    // Pairs (positive, negative): (2, 1) = 1, (2, 2) = 0.5, (3, 1) = 1, (3, 2) = 1: 3.5 of 4.
    expect(rocAuc([1, 2, 2, 3], [false, true, false, true])).toBe(0.875);
    expect(rocAuc([5, 5, 5], [true, false, false])).toBe(0.5);
    expect(rocAuc([3, 2, 1], [true, true, false])).toBe(1);
    expect(rocAuc([1, 2, 3], [true, true, false])).toBe(0);
    expect(rocAuc([1, 2], [true, true])).toBeNull();
  });

  it("churn by score decile, with uneven deciles and ties kept together", () => {
    const scores = Array.from({ length: 12 }, (_, i) => i + 1);
    const positive = scores.map((s) => s <= 2 || s === 12);
    const rows = rateByDecile(scores, positive);
    expect(rows.map((r) => r.count)).toEqual([2, 1, 1, 1, 1, 2, 1, 1, 1, 1]);
    expect(rows[0]).toEqual({ decile: 1, minScore: 1, maxScore: 2, count: 2, positives: 2, rate: 1 });
    expect(rows[9]).toEqual({ decile: 10, minScore: 12, maxScore: 12, count: 1, positives: 1, rate: 1 });

    const tied = rateByDecile([0, 0, 0, 0, 0, 1, 2, 3, 4, 5], [true, false, true, false, false, false, false, false, false, true]);
    expect(tied.map((r) => [r.decile, r.count, r.positives])).toEqual([[1, 5, 2], [6, 1, 0], [7, 1, 0], [8, 1, 0], [9, 1, 0], [10, 1, 1]]);
    expect(tied[0]!.rate).toBe(0.4);
  });
});

import { describe, expect, it } from "vitest";
import { recordMaker } from "../../src/engine/records.js";

describe("records of playbook names", () => {
  it("hold every name as its own, inherit nothing, and keep the names' order, whatever the names", () => {
    const names = ["logins", "constructor", "__proto__", "toString", "hasOwnProperty", "a\"b", "x y", "valueOf"];
    const make = recordMaker(names);
    const record = make();
    expect(Object.keys(record)).toEqual(names);
    for (const name of names) expect(record[name]).toBeNull();
    // Nothing comes from Object's prototype: a name never written is missing, not a function.
    expect((record as Record<string, unknown>).isPrototypeOf).toBeUndefined();
    expect("hasOwnProperty" in Object.getPrototypeOf(record)).toBe(false);
    expect(Object.getPrototypeOf(Object.getPrototypeOf(record))).toBeNull();
    record.__proto__ = 5;
    record.constructor = "c";
    expect(record.__proto__).toBe(5);
    expect(Object.getPrototypeOf(record)).not.toBe(5);
    expect(JSON.stringify(make())).toBe(`{${names.map((n) => `${JSON.stringify(n)}:null`).join(",")}}`);
    // Each record is new.
    expect(make()).not.toBe(record);
    expect(make().constructor).toBeNull();
  });
});

import type { Value } from "../expression/value.js";

/** A value a CSM set by hand, with who, why and until when. */
export interface ManualOverride {
  accountId: string;
  /** tier, health.status or health.<component> */
  target: string;
  value: Value;
  reason: string;
  owner: string;
  /** the last day it applies (epoch day) */
  expires: number;
}

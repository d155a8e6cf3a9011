// Targeted On-Demand Capacity Reservations for the reserved baseline of a GPU fleet.
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';

/**
 * Splits `count` reserved replicas over `zones` the way EC2 Auto Scaling balances a group: evenly,
 * the remainder going to the first zones. Zones that would get none are left out.
 */
export function splitAcrossZones(count: number, zones: readonly string[]): { zone: string; count: number }[] {
  if (zones.length === 0 || count <= 0) return [];
  const base = Math.floor(count / zones.length);
  const extra = count % zones.length;
  return zones.map((zone, i) => ({ zone, count: base + (i < extra ? 1 : 0) })).filter((z) => z.count > 0);
}

export interface ReservationOptions {
  /** Endpoint name, used in the reservations' tags. */
  readonly endpointName: string;
  /** Prefix of the reservations' `Name` tags (the design's name under AiStack). */
  readonly namePrefix: string;
  readonly instanceType: string;
  readonly reserved: number;
  /** Distinct Availability Zones of the group's subnets, in subnet order. */
  readonly zones: readonly string[];
}

/**
 * One targeted capacity reservation per zone, each for its share of `reserved`. A targeted
 * reservation is only consumed by launches that name it, so the Auto Scaling group's capacity
 * reservation specification (set by the caller) is what lands the on-demand base on it.
 */
export function createReservations(scope: Construct, o: ReservationOptions): ec2.CfnCapacityReservation[] {
  return splitAcrossZones(o.reserved, o.zones).map(({ zone, count }, i) => {
    const reservation = new ec2.CfnCapacityReservation(scope, `CapacityReservation${i + 1}`, {
      availabilityZone: zone,
      instanceCount: count,
      instanceType: o.instanceType,
      instancePlatform: 'Linux/UNIX',
      instanceMatchCriteria: 'targeted',
      endDateType: 'unlimited',
      tenancy: 'default',
    });
    // CfnCapacityReservation is not taggable through Tags.of(): its tags live in TagSpecifications.
    reservation.tagSpecifications = [
      {
        resourceType: 'capacity-reservation',
        tags: [
          { key: 'Name', value: `${o.namePrefix}-${o.endpointName}-reserved-${i + 1}` },
          { key: 'ai-stack:endpoint', value: o.endpointName },
        ],
      },
    ];
    return reservation;
  });
}

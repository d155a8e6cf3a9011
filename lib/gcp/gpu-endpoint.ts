import { Fn, Token } from 'cdktf';
import { Construct } from 'constructs';
import { ArtifactRegistryRepositoryIamMember } from '@cdktf/provider-google/lib/artifact-registry-repository-iam-member';
import { ComputeAddress } from '@cdktf/provider-google/lib/compute-address';
import { ComputeFirewall } from '@cdktf/provider-google/lib/compute-firewall';
import { ComputeForwardingRule } from '@cdktf/provider-google/lib/compute-forwarding-rule';
import { ComputeInstanceTemplate, type ComputeInstanceTemplateConfig } from '@cdktf/provider-google/lib/compute-instance-template';
import { ComputeRegionAutoscaler } from '@cdktf/provider-google/lib/compute-region-autoscaler';
import { ComputeRegionBackendService } from '@cdktf/provider-google/lib/compute-region-backend-service';
import { ComputeRegionHealthCheck } from '@cdktf/provider-google/lib/compute-region-health-check';
import { ComputeRegionInstanceGroupManager } from '@cdktf/provider-google/lib/compute-region-instance-group-manager';
import { ComputeReservation } from '@cdktf/provider-google/lib/compute-reservation';
import { DataGoogleClientConfig } from '@cdktf/provider-google/lib/data-google-client-config';
import { DataGoogleComputeSubnetwork } from '@cdktf/provider-google/lib/data-google-compute-subnetwork';
import { DataGoogleComputeZones } from '@cdktf/provider-google/lib/data-google-compute-zones';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { SecretManagerSecretIamMember } from '@cdktf/provider-google/lib/secret-manager-secret-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { findAccelerator, fitName, planFleet, refuseInvalidProps, resolveGpuEndpoint, type FleetPlan, type GpuEndpointDesign, type NamePrefixProps, type ResolvedGpuEndpoint } from '../design';
import { namePrefixOf } from '../cdktf/name-prefix';
import { warn, warnOwnNetwork } from '../cdktf/warnings';
import { groupBounds, type CapacityClass, type GroupBounds } from './gpu-endpoint/groups';
import { bootDiskTypeFor, DEFAULT_SOURCE_IMAGE, nicTypeFor } from './gpu-endpoint/machine';
import { peakSchedules, type PeakSchedule } from './gpu-endpoint/schedule';
import { parseSecretRef, SECRET_ACCESSOR_ROLE } from './gpu-endpoint/secrets';
import { artifactRegistryRepo, renderShutdownScript, renderStartupScript } from './gpu-endpoint/startup-script';
import { validateGcpGpuEndpointProps } from './gpu-endpoint/validate';
import { PrivateNetwork } from './network';

export { DEFAULT_SOURCE_IMAGE } from './gpu-endpoint/machine';
export type { CapacityClass, GroupBounds } from './gpu-endpoint/groups';

/** Google's health-check probe ranges for internal passthrough Network Load Balancers and MIG autohealing. */
export const HEALTH_CHECK_RANGES = ['35.191.0.0/16', '130.211.0.0/22'] as const;

/** The Ops Agent metric (NVML, percent busy per GPU) the autoscalers hold at the target. */
export const GPU_UTILIZATION_METRIC = 'agent.googleapis.com/gpu/utilization';

/**
 * The autoscalers' filter on {@link GPU_UTILIZATION_METRIC}: per instance (`gce_instance`), and of a
 * VM's one series per GPU (metric label `gpu_number`), GPU 0's only. The Compute Engine API asks for a
 * filter that picks one time series per instance and sums the values when it picks several
 * (`AutoscalingPolicyCustomMetricUtilization.filter`); with one series the target is the per-GPU
 * utilization whatever the GPU count. The GPUs of a tensor-parallel server are loaded evenly.
 */
export const GPU_UTILIZATION_FILTER = 'resource.type = "gce_instance" AND metric.labels.gpu_number = "0"';

/** Reservation affinity key naming a specific reservation. */
export const RESERVATION_NAME_KEY = 'compute.googleapis.com/reservation-name';

/** Zones a region may have at most; the rolling-update surge when zones are left to Compute Engine. */
const MAX_ZONES_PER_REGION = 4;

/** An existing VPC network and subnetwork to place the endpoint in. */
export interface GpuEndpointNetwork {
  /** Self link (or `projects/P/global/networks/N` id) of the VPC network. */
  readonly networkSelfLink: string;
  /** Self link (or id) of a subnetwork of that network in `region`; the load balancer's address is taken from it. */
  readonly subnetworkSelfLink: string;
}

/**
 * Props of the Google Cloud {@link GpuEndpoint}: the neutral design (including `startupGraceSeconds`
 * and `drainSeconds`) plus GCP overrides. Unknown props are refused.
 */
export interface GpuEndpointProps extends GpuEndpointDesign, NamePrefixProps {
  /**
   * Compute Engine region of the fleet, e.g. `us-central1`. Required rather than read from the
   * provider: zones, the reservation and the load balancer are checked against it at synth.
   */
  readonly region: string;
  /**
   * Zones of `region` the on-demand and spot groups spread over; the first zone holds the compute
   * reservation and the reserved group when `purchase.reserved > 0`. Not every zone offers every GPU
   * and that cannot be checked offline: list zones that offer the accelerator
   * (https://cloud.google.com/compute/docs/gpus/gpu-regions-zones).
   * @default - Compute Engine chooses the zones of the region; a reservation goes in the region's first zone that is UP (read at plan time), with a synth warning
   */
  readonly zones?: readonly string[];
  /**
   * Existing network and subnetwork to use; the construct then creates no network, subnetwork,
   * router or NAT (it still creates its two firewall rules, scoped to its own VMs by network tag).
   * The subnetwork needs Private Google Access, and Cloud NAT if the image or model is pulled from
   * outside Google. Pass the stack's network: without it each endpoint builds its own (a synth
   * warning says so).
   * @default - a new custom-mode VPC network with one subnetwork (`subnetCidr`, Private Google Access), a Cloud Router and Cloud NAT
   */
  readonly network?: GpuEndpointNetwork;
  /**
   * Primary range of the subnetwork the construct creates. Not allowed with `network`.
   * @default '10.10.0.0/20'
   */
  readonly subnetCidr?: string;
  /**
   * Source ranges allowed to reach the server port through the internal load balancer (the load
   * balancer is a passthrough: clients' own addresses reach the VMs, so the firewall admits them).
   * @default - the subnetwork's primary range (read from the subnetwork when `network` is given)
   */
  readonly clientCidrs?: readonly string[];
  /**
   * Boot image (image or image family path). It must provide the NVIDIA driver (or let the startup
   * script's Ubuntu/Debian fallback install Docker and the NVIDIA Container Toolkit on it) and run
   * the Ops Agent's NVML GPU metrics.
   * @default DEFAULT_SOURCE_IMAGE - the Deep Learning VM family `common-cu128-ubuntu-2204-nvidia-570` (Ubuntu 22.04, NVIDIA 570 driver, CUDA 12.8, Docker, NVIDIA Container Toolkit)
   */
  readonly sourceImage?: string;
  /**
   * Turn on Shielded VM Secure Boot. Only for an image whose NVIDIA kernel modules are signed by a
   * key the firmware trusts (e.g. Ubuntu with Canonical-signed `linux-modules-nvidia-*` packages):
   * with the default image's unsigned DKMS driver, Secure Boot stops the driver from loading.
   * @default false - Secure Boot off; vTPM and integrity monitoring on
   */
  readonly secureBoot?: boolean;
  /**
   * Boot disk type.
   * @default - `hyperdisk-balanced` on machine families that take only Hyperdisk (A3 Ultra, A4), `pd-balanced` otherwise
   */
  readonly bootDiskType?: string;
  /**
   * Service account the VMs run as. When given, the construct creates no service account and grants
   * it no project or registry roles: the account needs roles/logging.logWriter,
   * roles/monitoring.metricWriter and read access to the image's registry. It still grants it
   * roles/secretmanager.secretAccessor on each secret of `serverSecrets`.
   * @default - a new service account with roles/logging.logWriter and roles/monitoring.metricWriter on the project, and roles/artifactregistry.reader on the image's Artifact Registry repository when the image is in one
   */
  readonly serviceAccountEmail?: string;
  /**
   * Environment variables of the model server whose values are Secret Manager secrets: variable name
   * (capital letters, digits, `_`; not also in `server.env`) → secret, as `projects/<project>/secrets/<name>`
   * or a bare `<name>` in the stack's project (`project`). A token (e.g. a `SecretManagerSecret`'s `id`)
   * must resolve to the `projects/…` form. The replicas' service account gets
   * roles/secretmanager.secretAccessor on each secret and nothing broader; each boot reads version
   * `latest` into a root-only file on tmpfs passed to `docker run --env-file`, and a secret that cannot
   * be read (or is empty, or spans several lines) stops the boot before the server starts. The
   * values never appear in the Terraform configuration or the instance metadata.
   * @default - no secrets
   */
  readonly serverSecrets?: Readonly<Record<string, string>>;
  /**
   * Project of the IAM grants on the new service account, and of the secrets `serverSecrets` names
   * without a project.
   * @default - the provider's project
   */
  readonly project?: string;
}

/** One managed instance group of the fleet and what drives it. */
export interface GpuEndpointGroup {
  /** How the group's replicas are bought. */
  readonly capacity: CapacityClass;
  readonly template: ComputeInstanceTemplate;
  readonly group: ComputeRegionInstanceGroupManager;
  readonly autoscaler: ComputeRegionAutoscaler;
  /** Replica bounds from the fleet plan. */
  readonly bounds: GroupBounds;
}

const GROUP_SUFFIX: Record<CapacityClass, string> = { reserved: 'reserved', 'on-demand': 'ondemand', spot: 'spot' };
const CONSTRUCT_PREFIX: Record<CapacityClass, string> = { reserved: 'Reserved', 'on-demand': 'OnDemand', spot: 'Spot' };

/**
 * A self-hosted model server on a Compute Engine GPU fleet that mixes reserved, on-demand and spot
 * capacity, scales on GPU utilization and answers on one internal load-balanced URL.
 *
 * Compute Engine has no single group mixing provisioning models, so the fleet plan's split is laid
 * over up to three regional managed instance groups: reserved (a specific compute reservation),
 * on-demand and spot. Each group's autoscaler bounds are the plan's share of that class at the
 * fleet's minimum and maximum (see `groups`), and an internal passthrough Network Load Balancer
 * spreads connections over all of them.
 */
export class GpuEndpoint extends Construct {
  /** How the fleet is bought: the same numbers the cost estimate uses. */
  public readonly plan: FleetPlan;
  /** The design with every default filled in, for GCP. */
  public readonly resolved: ResolvedGpuEndpoint;
  /** Prefix of every physical name of this endpoint. */
  public readonly namePrefix: string;
  /** Every group the fleet uses, in the order reserved, on-demand, spot. */
  public readonly groups: readonly GpuEndpointGroup[];

  /** Template of the reserved group (STANDARD, consumes only the reservation); undefined without a reservation. */
  public readonly reservedTemplate?: ComputeInstanceTemplate;
  /** Template of the on-demand group (STANDARD provisioning); undefined when the plan uses no on-demand replica. */
  public readonly standardTemplate?: ComputeInstanceTemplate;
  /** Template of the spot group (SPOT provisioning, deleted on preemption); undefined when the plan uses no spot replica. */
  public readonly spotTemplate?: ComputeInstanceTemplate;
  /** Group of the reserved replicas (in the reservation's zone); undefined without a reservation. */
  public readonly reservedGroup?: ComputeRegionInstanceGroupManager;
  /** Group of the on-demand replicas (the on-demand base and the on-demand share above it). */
  public readonly baselineGroup?: ComputeRegionInstanceGroupManager;
  /** Group of the spot replicas (the spot share above the base). */
  public readonly spotGroup?: ComputeRegionInstanceGroupManager;
  public readonly reservedAutoscaler?: ComputeRegionAutoscaler;
  public readonly baselineAutoscaler?: ComputeRegionAutoscaler;
  public readonly spotAutoscaler?: ComputeRegionAutoscaler;
  /** The compute reservation of `purchase.reserved` VMs in the reservation zone; undefined when nothing is reserved. */
  public readonly reservation?: ComputeReservation;

  /** HTTP health check on the server port and health path, for autohealing and the load balancer. */
  public readonly healthCheck: ComputeRegionHealthCheck;
  /** Internal passthrough load balancer backend service over every group. */
  public readonly backendService: ComputeRegionBackendService;
  /** Internal forwarding rule: the endpoint's address and port. */
  public readonly forwardingRule: ComputeForwardingRule;
  /** Reserved internal address of the forwarding rule, stable across load balancer changes. */
  public readonly address: ComputeAddress;
  /** Firewall rule admitting Google's health-check probes to the server port. */
  public readonly healthCheckFirewall: ComputeFirewall;
  /** Firewall rule admitting `clientCidrs` to the server port. */
  public readonly clientFirewall: ComputeFirewall;
  /** The service account the construct created; undefined when `serviceAccountEmail` was given. */
  public readonly serviceAccount?: ServiceAccount;
  /** One roles/secretmanager.secretAccessor grant per `serverSecrets` entry, by environment variable name. */
  public readonly secretGrants: Readonly<Record<string, SecretManagerSecretIamMember>>;
  /** Email of the service account the VMs run as. */
  public readonly serviceAccountEmail: string;
  /** The network the construct created; undefined when `network` was given. */
  public readonly privateNetwork?: PrivateNetwork;
  public readonly networkSelfLink: string;
  public readonly subnetworkSelfLink: string;
  /** Network tag on every VM of the endpoint (the firewall rules target it). */
  public readonly networkTag: string;
  /** `http://<internal address>:<port>`: the one URL of the endpoint, reachable inside the VPC. */
  public readonly url: string;

  private clientConfig?: DataGoogleClientConfig;

  constructor(scope: Construct, id: string, props: GpuEndpointProps) {
    super(scope, id);
    refuseInvalidProps(this.node.path, (problems) => validateGcpGpuEndpointProps(props, 'props', problems));

    const r = resolveGpuEndpoint(props, 'gcp');
    this.resolved = r;
    this.plan = planFleet(r);
    this.namePrefix = namePrefixOf(this, props.namePrefix);
    // Every physical name: prefix, endpoint name, role; within Compute Engine's 63 characters.
    const name = fitName([this.namePrefix, r.name], 41);
    const nameOf = (suffix: string, max = 63) => fitName([this.namePrefix, r.name, suffix], max);
    const region = props.region;
    const port = r.server.port;
    const grace = r.startupGraceSeconds;
    const machineType = this.plan.instanceTypes[0].type;
    const acceleratorType = findAccelerator(r.accelerator)?.offerings.gcp.acceleratorType ?? r.accelerator;
    const offPeak = r.scaling.offPeak;
    const bounds = groupBounds(this.plan, offPeak?.min);
    const peak: readonly PeakSchedule[] = offPeak ? scheduleList(offPeak.start, offPeak.end) : [];
    this.networkTag = fitName(['ai-stack', this.namePrefix, r.name], 63);
    this.warnAboutFloors(bounds, offPeak?.min);

    // Network: bring your own, or a private one.
    let clientCidrs: readonly string[];
    if (props.network) {
      this.networkSelfLink = props.network.networkSelfLink;
      this.subnetworkSelfLink = props.network.subnetworkSelfLink;
      clientCidrs = props.clientCidrs ?? [new DataGoogleComputeSubnetwork(this, 'Subnetwork', { selfLink: this.subnetworkSelfLink }).ipCidrRange];
    } else {
      warnOwnNetwork(
        this,
        'gcp-endpoint-own-network',
        'No network was given, so this endpoint creates its own VPC network, subnetwork, Cloud Router and Cloud NAT.',
        "Pass the stack's network (networkSelfLink, subnetworkSelfLink) to every GpuEndpoint so they share one.",
      );
      this.privateNetwork = new PrivateNetwork(this, 'Network', { name, region, subnetCidr: props.subnetCidr });
      this.networkSelfLink = this.privateNetwork.networkSelfLink;
      this.subnetworkSelfLink = this.privateNetwork.subnetworkSelfLink;
      clientCidrs = props.clientCidrs ?? [this.privateNetwork.subnetCidr];
    }
    this.healthCheckFirewall = new ComputeFirewall(this, 'HealthCheckFirewall', {
      name: nameOf('allow-health-checks'),
      description: `Google health-check probes to the ${name} model server port`,
      network: this.networkSelfLink,
      direction: 'INGRESS',
      sourceRanges: [...HEALTH_CHECK_RANGES],
      targetTags: [this.networkTag],
      allow: [{ protocol: 'tcp', ports: [String(port)] }],
    });
    this.clientFirewall = new ComputeFirewall(this, 'ClientFirewall', {
      name: nameOf('allow-clients'),
      description: `Clients of the ${name} internal load balancer to the model server port`,
      network: this.networkSelfLink,
      direction: 'INGRESS',
      sourceRanges: [...clientCidrs],
      targetTags: [this.networkTag],
      allow: [{ protocol: 'tcp', ports: [String(port)] }],
    });

    // Identity: least privilege, or the caller's account.
    let member: string;
    if (props.serviceAccountEmail) {
      this.serviceAccountEmail = props.serviceAccountEmail;
      member = `serviceAccount:${props.serviceAccountEmail}`;
    } else {
      const sa = new ServiceAccount(this, 'ServiceAccount', {
        accountId: fitName([this.namePrefix, r.name, 'gpu'], 30),
        displayName: `GPU endpoint ${name}`,
        description: 'Runs the model server VMs of an ai-stack GpuEndpoint: writes logs and metrics, pulls the server image.',
      });
      this.serviceAccount = sa;
      this.serviceAccountEmail = sa.email;
      member = sa.member;
      const project = this.projectOf(props);
      for (const [cid, role] of [
        ['LogWriter', 'roles/logging.logWriter'],
        ['MetricWriter', 'roles/monitoring.metricWriter'],
      ] as const) {
        new ProjectIamMember(this, cid, { project, role, member: sa.member });
      }
      const repo = artifactRegistryRepo(r.server.image);
      if (repo) {
        new ArtifactRegistryRepositoryIamMember(this, 'ImageReader', {
          project: repo.project,
          location: repo.location,
          repository: repo.repository,
          role: 'roles/artifactregistry.reader',
          member: sa.member,
        });
      }
    }
    // Secrets: read access to each named secret only.
    const secretGrants: Record<string, SecretManagerSecretIamMember> = {};
    const secretNames: Record<string, string> = {};
    for (const envName of Object.keys(props.serverSecrets ?? {}).sort()) {
      const secret = props.serverSecrets![envName];
      // Validated: a token stands for `projects/<p>/secrets/<name>`, which the provider parses itself.
      const ref = Token.isUnresolved(secret) ? undefined : parseSecretRef(secret)!;
      const project = ref ? ref.project ?? this.projectOf(props) : undefined;
      secretGrants[envName] = new SecretManagerSecretIamMember(this, `SecretAccessor${envName}`, {
        project,
        secretId: ref ? ref.secretId : secret,
        role: SECRET_ACCESSOR_ROLE,
        member,
      });
      secretNames[envName] = ref ? `projects/${project}/secrets/${ref.secretId}` : secret;
    }
    this.secretGrants = secretGrants;

    // Reservation for the reserved replicas, in the first zone.
    let reservationZone: string | undefined;
    if (this.plan.reserved > 0) {
      reservationZone = props.zones?.[0] ?? this.firstZoneOf(region);
      this.reservation = new ComputeReservation(this, 'Reservation', {
        name: nameOf('reservation'),
        description: `Reserved capacity of GPU endpoint ${name}: only VMs naming this reservation consume it`,
        zone: reservationZone,
        specificReservationRequired: true,
        specificReservation: {
          count: this.plan.reserved,
          instanceProperties: {
            machineType,
            guestAccelerators: [{ acceleratorType, acceleratorCount: r.acceleratorsPerReplica }],
          },
        },
      });
    }

    this.healthCheck = new ComputeRegionHealthCheck(this, 'HealthCheck', {
      name: nameOf('health'),
      description: `GET ${r.server.healthPath} on the ${name} model server`,
      region,
      checkIntervalSec: 10,
      timeoutSec: 5,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
      httpHealthCheck: { port, requestPath: r.server.healthPath },
    });

    const startupScript = renderStartupScript({
      endpointName: name,
      image: r.server.image,
      model: r.server.model,
      port,
      args: r.server.args,
      env: r.server.env,
      acceleratorsPerReplica: r.acceleratorsPerReplica,
      secrets: secretNames,
    });
    const templateBase: ComputeInstanceTemplateConfig = {
      machineType,
      region,
      canIpForward: false,
      tags: [this.networkTag],
      disk: [
        {
          boot: true,
          autoDelete: true,
          sourceImage: props.sourceImage ?? DEFAULT_SOURCE_IMAGE,
          diskSizeGb: r.rootVolumeGiB,
          diskType: props.bootDiskType ?? bootDiskTypeFor(machineType),
        },
      ],
      guestAccelerator: [{ type: acceleratorType, count: r.acceleratorsPerReplica }],
      networkInterface: [{ network: this.networkSelfLink, subnetwork: this.subnetworkSelfLink, nicType: nicTypeFor(machineType), stackType: 'IPV4_ONLY' }],
      shieldedInstanceConfig: { enableSecureBoot: props.secureBoot ?? false, enableVtpm: true, enableIntegrityMonitoring: true },
      serviceAccount: { email: this.serviceAccountEmail, scopes: ['cloud-platform'] },
      metadata: {
        'startup-script': startupScript,
        'shutdown-script': renderShutdownScript(),
        'block-project-ssh-keys': 'true',
        'enable-oslogin': 'TRUE',
        'install-nvidia-driver': 'True',
      },
      lifecycle: { createBeforeDestroy: true },
      // VMs read the secrets at boot: create them after the grants.
      dependsOn: Object.values(secretGrants).length > 0 ? Object.values(secretGrants) : undefined,
    };

    const groups: GpuEndpointGroup[] = [];
    for (const b of bounds) {
      const prefix = CONSTRUCT_PREFIX[b.capacity];
      const suffix = GROUP_SUFFIX[b.capacity];
      const template = new ComputeInstanceTemplate(this, `${prefix}Template`, {
        ...templateBase,
        namePrefix: `${nameOf(suffix, 36)}-`,
        description: `${b.capacity} replicas of GPU endpoint ${name}`,
        labels: { 'ai-stack-endpoint': name, 'ai-stack-capacity': b.capacity },
        scheduling: schedulingFor(b.capacity),
        reservationAffinity:
          b.capacity === 'reserved'
            ? { type: 'SPECIFIC_RESERVATION', specificReservation: { key: RESERVATION_NAME_KEY, values: [this.reservation!.name] } }
            : { type: b.capacity === 'spot' ? 'NO_RESERVATION' : 'ANY_RESERVATION' },
      });
      const zones = b.capacity === 'reserved' ? [reservationZone!] : props.zones;
      const rolloutUnit = zones?.length ?? MAX_ZONES_PER_REGION;
      const group = new ComputeRegionInstanceGroupManager(this, `${prefix}Group`, {
        name: nameOf(suffix),
        description: `${b.capacity} replicas of GPU endpoint ${name}`,
        region,
        baseInstanceName: nameOf(suffix, 58),
        version: [{ name: b.capacity, instanceTemplate: template.id }],
        distributionPolicyZones: zones ? [...zones] : undefined,
        // BALANCED spreads over zones but goes where GPUs are obtainable; the reserved group lives in one zone.
        distributionPolicyTargetShape: b.capacity === 'reserved' ? 'EVEN' : 'BALANCED',
        namedPort: [{ name: 'http', port }],
        autoHealingPolicies: { healthCheck: this.healthCheck.id, initialDelaySec: grace },
        updatePolicy:
          b.capacity === 'reserved'
            ? // The reservation holds exactly the reserved VMs: replace in place, never surge.
              { type: 'PROACTIVE', minimalAction: 'REPLACE', instanceRedistributionType: 'NONE', maxSurgeFixed: 0, maxUnavailableFixed: 1 }
            : { type: 'PROACTIVE', minimalAction: 'REPLACE', instanceRedistributionType: 'NONE', maxSurgeFixed: rolloutUnit, maxUnavailableFixed: 0 },
        waitForInstances: false,
      });
      const schedules = b.offPeakMinReplicas !== undefined && b.offPeakMinReplicas < b.minReplicas ? peak : [];
      const autoscaler = new ComputeRegionAutoscaler(this, `${prefix}Autoscaler`, {
        name: nameOf(suffix),
        description: `Holds ${r.scaling.targetGpuUtilization}% GPU utilization on the ${b.capacity} replicas of ${name}`,
        region,
        target: group.id,
        autoscalingPolicy: {
          mode: 'ON',
          minReplicas: schedules.length > 0 ? b.offPeakMinReplicas! : b.minReplicas,
          maxReplicas: b.maxReplicas,
          cooldownPeriod: grace,
          // One series per VM (GPU 0, see GPU_UTILIZATION_FILTER), so the target is the per-GPU target.
          metric: [{ name: GPU_UTILIZATION_METRIC, filter: GPU_UTILIZATION_FILTER, target: r.scaling.targetGpuUtilization, type: 'GAUGE' }],
          // A GPU replica takes minutes to come back: shed at most one per 10 minutes.
          scaleInControl: { maxScaledInReplicas: { fixed: 1 }, timeWindowSec: 600 },
          scalingSchedules: schedules.length === 0 ? undefined : schedules.map((s) => ({
            name: s.name,
            description: `Peak hours of ${name}: outside the off-peak window the ${b.capacity} group keeps ${b.minReplicas}`,
            schedule: s.schedule,
            timeZone: offPeak!.timeZone,
            durationSec: s.durationSec,
            minRequiredReplicas: b.minReplicas,
          })),
        },
      });
      groups.push({ capacity: b.capacity, template, group, autoscaler, bounds: b });
    }
    this.groups = groups;
    const byClass = (c: CapacityClass) => groups.find((g) => g.capacity === c);
    this.reservedTemplate = byClass('reserved')?.template;
    this.reservedGroup = byClass('reserved')?.group;
    this.reservedAutoscaler = byClass('reserved')?.autoscaler;
    this.standardTemplate = byClass('on-demand')?.template;
    this.baselineGroup = byClass('on-demand')?.group;
    this.baselineAutoscaler = byClass('on-demand')?.autoscaler;
    this.spotTemplate = byClass('spot')?.template;
    this.spotGroup = byClass('spot')?.group;
    this.spotAutoscaler = byClass('spot')?.autoscaler;

    // One internal URL over every group.
    this.address = new ComputeAddress(this, 'Address', {
      name: nameOf('ilb'),
      description: `Internal address of GPU endpoint ${name}`,
      region,
      addressType: 'INTERNAL',
      purpose: 'GCE_ENDPOINT',
      subnetwork: this.subnetworkSelfLink,
    });
    this.backendService = new ComputeRegionBackendService(this, 'BackendService', {
      name: nameOf('ilb'),
      description: `Internal passthrough load balancer of GPU endpoint ${name}`,
      region,
      loadBalancingScheme: 'INTERNAL',
      protocol: 'TCP',
      network: this.networkSelfLink,
      healthChecks: [this.healthCheck.id],
      sessionAffinity: 'NONE',
      // Let streamed completions finish when a replica leaves.
      connectionDrainingTimeoutSec: r.drainSeconds,
      backend: groups.map((g) => ({ group: g.group.instanceGroup, balancingMode: 'CONNECTION', description: `${g.capacity} replicas` })),
    });
    this.forwardingRule = new ComputeForwardingRule(this, 'ForwardingRule', {
      name: nameOf('ilb'),
      description: `Internal address and port of GPU endpoint ${name}`,
      region,
      loadBalancingScheme: 'INTERNAL',
      ipProtocol: 'TCP',
      ports: [String(port)],
      ipAddress: this.address.address,
      network: this.networkSelfLink,
      subnetwork: this.subnetworkSelfLink,
      backendService: this.backendService.id,
      allowGlobalAccess: false,
    });
    this.url = `http://${this.address.address}:${port}`;
  }

  /** `props.project`, or the provider's project (read once through `data.google_client_config`). */
  private projectOf(props: GpuEndpointProps): string {
    if (props.project !== undefined) return props.project;
    this.clientConfig ??= new DataGoogleClientConfig(this, 'ClientConfig');
    return this.clientConfig.project;
  }

  /** The region's first zone that is UP, read at plan time; used when a reservation needs a zone and none was given. */
  private firstZoneOf(region: string): string {
    const zones = new DataGoogleComputeZones(this, 'Zones', { region, status: 'UP' });
    warn(
      this,
      'gcp-reservation-zone',
      `the reservation of ${this.plan.reserved} ${this.plan.instanceTypes[0].type} goes in the first zone of ${region} that is UP, ` +
        'which may not offer the accelerator: set zones to zones that do (https://cloud.google.com/compute/docs/gpus/gpu-regions-zones).',
    );
    return Token.asString(Fn.element(zones.names, 0));
  }

  /** Warns where Compute Engine holds more replicas than the plan (a group cannot scale below one VM). */
  private warnAboutFloors(bounds: readonly GroupBounds[], offPeakMin: number | undefined): void {
    const raised = bounds.filter((b) => b.planMin < b.minReplicas);
    if (raised.length > 0) {
      const fleetMin = bounds.reduce((n, b) => n + b.minReplicas, 0);
      warn(
        this,
        'gcp-group-floor',
        `${raised.map((b) => `the ${b.capacity} group`).join(' and ')} ` +
          `${raised.length === 1 ? 'keeps' : 'keep'} one replica where the plan has none at capacity.min: a managed instance group scaled on GPU utilization ` +
          `(a per-instance metric) cannot go below one VM, so the fleet runs at least ${fleetMin} replicas (plan: ${this.plan.min}). ` +
          'To match the plan, choose a purchase mix that puts at least one replica of each class used at capacity.max into capacity.min ' +
          '(e.g. raise capacity.min or onDemandBase, or set spotPercentAboveBase to 0).',
      );
    }
    if (offPeakMin !== undefined) {
      const offPeakFloor = bounds.reduce((n, b) => n + (b.offPeakMinReplicas ?? b.minReplicas), 0);
      if (offPeakFloor > offPeakMin) {
        warn(
          this,
          'gcp-offpeak-floor',
          `off-peak the fleet keeps ${offPeakFloor} replicas (scaling.offPeak.min: ${offPeakMin}): ` +
            `each of its ${bounds.length} managed instance groups keeps at least one VM.`,
        );
      }
    }
  }
}

function schedulingFor(capacity: CapacityClass): NonNullable<ComputeInstanceTemplateConfig['scheduling']> {
  if (capacity === 'spot') {
    return { provisioningModel: 'SPOT', preemptible: true, automaticRestart: false, onHostMaintenance: 'TERMINATE', instanceTerminationAction: 'DELETE' };
  }
  return { provisioningModel: 'STANDARD', preemptible: false, automaticRestart: true, onHostMaintenance: 'TERMINATE' };
}

function scheduleList(start: string, end: string): readonly PeakSchedule[] {
  const result = peakSchedules(start, end);
  // Validation reported any problem already; this is unreachable for validated props.
  return 'schedules' in result ? result.schedules : [];
}

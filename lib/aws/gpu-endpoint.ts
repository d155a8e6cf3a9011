import { Annotations, Duration, Fn, Stack, Tags, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { allowLogsToUseKey } from './log-encryption';
import {
  defaultNamePrefix,
  planFleet,
  refuseInvalidProps,
  resolveGpuEndpoint,
  type FleetPlan,
  type GpuEndpointDesign,
  type NamePrefixProps,
  type ResolvedGpuEndpoint,
} from '../design';
import { createAccessLogsBucket, createDefaultVpc, repositoryOfImage } from './gpu-endpoint/dependencies';
import { acknowledgeControlTowerFindings, acknowledgeInherentFindings, warnAboutDesign } from './gpu-endpoint/findings';
import { createReservations } from './gpu-endpoint/reservations';
import { bootScript, GPU_MEMORY_USED_METRIC, GPU_METRICS_NAMESPACE, GPU_UTILIZATION_METRIC } from './gpu-endpoint/user-data';
import { validateGpuEndpointProps } from './gpu-endpoint/validate';

export { GPU_METRICS_NAMESPACE, GPU_MEMORY_USED_METRIC, GPU_UTILIZATION_METRIC } from './gpu-endpoint/user-data';

/**
 * SSM public parameter of the default machine image: the AWS Deep Learning Base OSS Nvidia Driver GPU
 * AMI (Amazon Linux 2023, x86_64), which ships the NVIDIA driver, CUDA, Docker and the NVIDIA container
 * toolkit, and supports every instance family of the AWS accelerator catalog (G5, G6, G6e, P4d, P4de, P5, P5en).
 */
export const DEFAULT_GPU_AMI_PARAMETER = '/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-amazon-linux-2023/latest/ami-id';

/** The port the internal load balancer listens on. */
export const LISTENER_PORT = 80;

/**
 * Properties of a {@link GpuEndpoint}: the cloud-neutral design (including `startupGraceSeconds` and
 * `drainSeconds`) plus AWS-only overrides. Unknown props are refused.
 */
export interface GpuEndpointProps extends GpuEndpointDesign, NamePrefixProps {
  /**
   * VPC to run the fleet and its load balancer in. Pass the stack's VPC: without it each endpoint
   * builds its own network (a synth warning says so).
   *
   * @default - a new VPC over two Availability Zones with public and private-with-egress subnets,
   * one NAT gateway, a free S3 gateway endpoint and VPC flow logs to CloudWatch Logs
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Subnets of `vpc` for the instances and the internal load balancer. They need a route to the
   * internet (or VPC endpoints) to pull the server image and the model weights, and must span at
   * least two Availability Zones (a load balancer requirement).
   *
   * @default - the private subnets with egress of `vpc`
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Instance types of the fleet, in on-demand priority order. The first is the one on-demand
   * capacity (and the capacity reservation) uses; all of them diversify spot capacity. List types
   * carrying the same accelerator and count, or replicas will differ in capacity.
   *
   * @default - the fleet plan's instance types for `accelerator` x `acceleratorsPerReplica`, cheapest first
   */
  readonly instanceTypes?: ec2.InstanceType[];

  /**
   * Machine image of the replicas. It must provide the NVIDIA driver, Docker and the NVIDIA container
   * toolkit, and use `dnf` (Amazon Linux 2023), since the boot script installs the CloudWatch agent with it.
   *
   * @default - the latest AWS Deep Learning Base OSS Nvidia Driver GPU AMI (Amazon Linux 2023), read
   * from the SSM public parameter `DEFAULT_GPU_AMI_PARAMETER` at each deployment
   */
  readonly machineImage?: ec2.IMachineImage;

  /**
   * Topic receiving the Auto Scaling group's launch, terminate and error notifications.
   *
   * @default - a new topic encrypted with the AWS managed key `alias/aws/sns`, refusing publishers without TLS
   */
  readonly notificationsTopic?: sns.ITopic;

  /**
   * ECR repository `server.image` is pulled from; the instance role is granted pull on it and the boot
   * script logs in to its registry. Needed when `server.image` is a token.
   *
   * @default - derived from `server.image` when it is a literal ECR image URI; otherwise none (a public registry)
   */
  readonly imageRepository?: ecr.IRepository;

  /**
   * Secrets Manager secrets exposed to the server container as environment variables (name → secret;
   * the whole secret string is the value), e.g. `{ HF_TOKEN: hfTokenSecret }` for gated models. Read at
   * boot by the instance role; the launch template holds only their ARNs.
   *
   * @default - no secrets
   */
  readonly serverSecrets?: Record<string, secretsmanager.ISecret>;

  /**
   * Let every address of the VPC's primary CIDR reach the load balancer. Leave it off and admit
   * callers one by one with `grantInvoke(peer)` or `connections`.
   *
   * @default false - no caller is admitted until granted
   */
  readonly allowFromVpc?: boolean;

  /**
   * Bucket receiving the load balancer's access logs (it must use SSE-S3 encryption, which is all
   * Elastic Load Balancing can write to). The stack must have a concrete `env.region`.
   *
   * @default - a new bucket: SSE-S3, TLS-only, public access blocked, objects expire after 90 days
   */
  readonly accessLogsBucket?: s3.IBucket;

  /**
   * Retention of the server container's logs in CloudWatch Logs.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Customer-managed KMS key for the server container's log group (model servers may log prompts).
   * The key policy must let CloudWatch Logs in this region use it; for a `kms.Key` of this app the
   * construct adds that statement, scoped to this log group's ARN.
   *
   * @default - encrypted by CloudWatch Logs with an AWS owned key
   */
  readonly logEncryptionKey?: kms.IKey;
}

/**
 * A self-hosted model server on an EC2 GPU fleet that mixes reserved, on-demand and spot capacity,
 * behind an internal Application Load Balancer, scaled on GPU utilization.
 *
 * The purchase mix comes from the design model's fleet plan (`plan`), the same numbers the cost
 * estimate prices.
 */
export class GpuEndpoint extends Construct implements ec2.IConnectable {
  /** How the fleet is bought: the numbers the Auto Scaling group and the cost estimate share. */
  public readonly plan: FleetPlan;
  /** The design with every default filled in, for AWS. */
  public readonly resolved: ResolvedGpuEndpoint;
  /** Prefix of the names this endpoint gives (its `Name` tags). */
  public readonly namePrefix: string;
  public readonly vpc: ec2.IVpc;
  /** Instance role of the replicas. */
  public readonly role: iam.IRole;
  /** Security group of the replicas: admits the server port from the load balancer only. */
  public readonly securityGroup: ec2.ISecurityGroup;
  public readonly launchTemplate: ec2.LaunchTemplate;
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** Targeted capacity reservations of the reserved baseline, one per Availability Zone; empty without `purchase.reserved`. */
  public readonly capacityReservations: ec2.CfnCapacityReservation[];
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly listener: elbv2.ApplicationListener;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  public readonly notificationsTopic: sns.ITopic;
  /** Log group of the server container's output (one stream per instance). */
  public readonly logGroup: logs.ILogGroup;
  /** Base URL of the endpoint inside the VPC: `http://<load balancer DNS name>`. */
  public readonly url: string;
  /** Network access to the load balancer (default port: the listener's). */
  public readonly connections: ec2.Connections;

  constructor(scope: Construct, id: string, props: GpuEndpointProps) {
    super(scope, id);

    refuseInvalidProps(this.node.path, (problems) => validateGpuEndpointProps(props, 'props', problems));

    this.resolved = resolveGpuEndpoint(props, 'aws');
    this.plan = planFleet(this.resolved);
    const r = this.resolved;
    this.namePrefix = props.namePrefix ?? defaultNamePrefix(Stack.of(this).stackName);
    const gracePeriod = Duration.seconds(r.startupGraceSeconds);
    const drainTimeout = Duration.seconds(r.drainSeconds);
    const region = Stack.of(this).region;
    if (Token.isUnresolved(region)) {
      throw new Error(
        `${this.node.path}: the load balancer's access logs need the stack's region (the log-delivery account differs per region); ` +
          `give the stack a concrete env.region (got an environment-agnostic stack)`,
      );
    }

    this.vpc = props.vpc ?? this.createOwnVpc();
    const vpcSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const instanceTypes = props.instanceTypes ?? this.plan.instanceTypes.map((o) => new ec2.InstanceType(o.type));

    // Identity: SSM Session Manager and the CloudWatch agent, plus what the server needs to start.
    const role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `GPU endpoint ${r.name}: SSM access, CloudWatch agent, server image and secrets`,
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchAgentServerPolicy'),
      ],
    });
    this.role = role;
    const repository = props.imageRepository ?? repositoryOfImage(this, r.server.image);
    repository?.grantPull(role);
    const secretArns: Record<string, string> = {};
    for (const [name, secret] of Object.entries(props.serverSecrets ?? {})) {
      secret.grantRead(role);
      secretArns[name] = secret.secretArn;
    }

    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    this.logGroup = new logs.LogGroup(this, 'ServerLogs', {
      retention: logRetention,
      encryptionKey: props.logEncryptionKey,
    });
    if (props.logEncryptionKey) allowLogsToUseKey(props.logEncryptionKey, this.logGroup);

    // Network: instances accept the server port from the load balancer only and reach out on HTTPS only.
    const instanceSg = new ec2.SecurityGroup(this, 'InstanceSecurityGroup', {
      vpc: this.vpc,
      description: `GPU endpoint ${r.name} replicas: server port from the load balancer, HTTPS out`,
      allowAllOutbound: false,
    });
    instanceSg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS: image registry, model hub, AWS APIs');
    this.securityGroup = instanceSg;
    const lbSg = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: this.vpc,
      description: `GPU endpoint ${r.name} internal load balancer`,
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({ securityGroups: [lbSg], defaultPort: ec2.Port.tcp(LISTENER_PORT) });
    if (props.allowFromVpc) this.connections.allowDefaultPortFrom(ec2.Peer.ipv4(this.vpc.vpcCidrBlock), 'the VPC CIDR');

    const userData = ec2.UserData.forLinux();
    userData.addCommands(
      ...bootScript({
        image: r.server.image,
        model: r.server.model,
        port: r.server.port,
        args: r.server.args,
        env: r.server.env,
        secrets: secretArns,
        acceleratorsPerReplica: r.acceleratorsPerReplica,
        region,
        logGroupName: this.logGroup.logGroupName,
        ecrRegistry: repository ? Fn.select(0, Fn.split('/', repository.repositoryUri)) : undefined,
        ecrRegion: repository?.env.region,
      }),
    );

    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: props.machineImage ?? ec2.MachineImage.fromSsmParameter(DEFAULT_GPU_AMI_PARAMETER, { os: ec2.OperatingSystemType.LINUX }),
      userData,
      role,
      securityGroup: instanceSg,
      associatePublicIpAddress: false,
      requireImdsv2: true,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      // One hop: processes on the host (agents, docker login) reach IMDS; containers on the bridge
      // network (one hop further) cannot read the instance role's credentials.
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: false,
      // One-minute EC2 metrics (Control Tower CT.EC2.PR.10): a few dollars a month per GPU instance.
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(r.rootVolumeGiB, {
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            encrypted: true,
            deleteOnTermination: true,
          }),
        },
      ],
    });

    this.notificationsTopic =
      props.notificationsTopic ??
      new sns.Topic(this, 'Notifications', {
        displayName: `GPU endpoint ${r.name} fleet events`,
        masterKey: kms.Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
        enforceSSL: true,
      });

    const plan = this.plan;
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'AutoScalingGroup', {
      vpc: this.vpc,
      vpcSubnets,
      minCapacity: r.capacity.min,
      maxCapacity: r.capacity.max,
      mixedInstancesPolicy: {
        launchTemplate: this.launchTemplate,
        launchTemplateOverrides: instanceTypes.map((instanceType) => ({ instanceType })),
        instancesDistribution: {
          onDemandAllocationStrategy: autoscaling.OnDemandAllocationStrategy.PRIORITIZED,
          onDemandBaseCapacity: plan.baseCapacity,
          onDemandPercentageAboveBaseCapacity: 100 - plan.spotPercentAboveBase,
          spotAllocationStrategy: autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
        },
      },
      capacityRebalance: true,
      azCapacityDistributionStrategy: autoscaling.CapacityDistributionStrategy.BALANCED_BEST_EFFORT,
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod,
      }),
      defaultInstanceWarmup: gracePeriod,
      cooldown: Duration.minutes(5),
      notifications: [{ topic: this.notificationsTopic, scalingEvents: autoscaling.ScalingEvents.ALL }],
      groupMetrics: [autoscaling.GroupMetrics.all()],
    });
    Tags.of(this.autoScalingGroup).add('Name', `${this.namePrefix}-${r.name}-gpu-endpoint`);

    // Reserved baseline: targeted reservations of the first (on-demand priority) instance type, one
    // per zone of the group; the group consumes them before plain on-demand capacity.
    this.capacityReservations = createReservations(this, {
      endpointName: r.name,
      namePrefix: this.namePrefix,
      instanceType: instanceTypes[0].toString(),
      reserved: plan.reserved,
      zones: distinctZones(this.vpc.selectSubnets(vpcSubnets).subnets),
    });
    if (this.capacityReservations.length > 0) {
      const cfnAsg = this.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup;
      cfnAsg.capacityReservationSpecification = {
        capacityReservationPreference: 'capacity-reservations-first',
        capacityReservationTarget: { capacityReservationIds: this.capacityReservations.map((c) => c.ref) },
      };
    }

    // Draining: a leaving replica waits in Terminating:Wait while the load balancer drains it.
    this.autoScalingGroup.addLifecycleHook('DrainOnTermination', {
      lifecycleTransition: autoscaling.LifecycleTransition.INSTANCE_TERMINATING,
      heartbeatTimeout: drainTimeout,
      defaultResult: autoscaling.DefaultResult.CONTINUE,
    });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      vpcSubnets,
      internetFacing: false,
      securityGroup: lbSg,
      dropInvalidHeaderFields: true,
      // Long generations without streaming can be silent for minutes.
      idleTimeout: Duration.minutes(5),
    });
    this.loadBalancer.logAccessLogs(props.accessLogsBucket ?? createAccessLogsBucket(this), 'gpu-endpoint');

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc: this.vpc,
      port: r.server.port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.INSTANCE,
      targets: [this.autoScalingGroup],
      deregistrationDelay: drainTimeout,
      // Requests differ by orders of magnitude in length: send each to the least busy replica.
      loadBalancingAlgorithmType: elbv2.TargetGroupLoadBalancingAlgorithmType.LEAST_OUTSTANDING_REQUESTS,
      healthCheck: {
        path: r.server.healthPath,
        port: 'traffic-port',
        protocol: elbv2.Protocol.HTTP,
        healthyHttpCodes: '200',
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });
    this.listener = this.loadBalancer.addListener('Http', {
      port: LISTENER_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultTargetGroups: [this.targetGroup],
    });
    this.url = `http://${this.loadBalancer.loadBalancerDnsName}`;

    // Scaling: hold the average GPU utilization; a lower floor during off-peak hours.
    this.autoScalingGroup.scaleToTrackMetric('GpuUtilization', {
      metric: this.metricGpuUtilization(),
      targetValue: r.scaling.targetGpuUtilization,
    });
    const offPeak = r.scaling.offPeak;
    if (offPeak) {
      this.autoScalingGroup.scaleOnSchedule('OffPeakStart', {
        schedule: autoscaling.Schedule.expression(offPeak.start),
        timeZone: offPeak.timeZone,
        minCapacity: offPeak.min,
      });
      this.autoScalingGroup.scaleOnSchedule('OffPeakEnd', {
        schedule: autoscaling.Schedule.expression(offPeak.end),
        timeZone: offPeak.timeZone,
        minCapacity: r.capacity.min,
      });
    }

    warnAboutDesign(this, r, plan, instanceTypes);
    acknowledgeInherentFindings(role, this.autoScalingGroup, repository !== undefined);
    acknowledgeControlTowerFindings({
      group: this.autoScalingGroup,
      instanceTypes,
      loadBalancer: this.loadBalancer,
      listener: this.listener,
      logGroup: this.logGroup,
      logRetentionDays: logRetention,
      logEncrypted: props.logEncryptionKey !== undefined,
    });
  }

  /**
   * Average GPU utilization (percent) over every GPU of the fleet, as published by the CloudWatch
   * agent on each replica; the metric the fleet scales on.
   *
   * @default - average over 1 minute
   */
  public metricGpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.gpuMetric(GPU_UTILIZATION_METRIC, props);
  }

  /**
   * GPU memory in use (MiB), averaged over every GPU of the fleet.
   *
   * @default - average over 1 minute
   */
  public metricGpuMemoryUsed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.gpuMetric(GPU_MEMORY_USED_METRIC, props);
  }

  /**
   * The endpoint's own VPC, when none was given: said in a warning, and once more on the stack when a
   * second endpoint of the stack builds one too.
   */
  private createOwnVpc(): ec2.IVpc {
    Annotations.of(this).addWarningV2(
      'ai-stack:gpu-endpoint-own-vpc',
      'No vpc was given, so this endpoint creates its own VPC (two AZs, a NAT gateway billed hourly, flow logs) and an access-log bucket. ' +
        "Pass the stack's vpc (and accessLogsBucket) so endpoints share one network.",
    );
    warnOnSecondNetwork(Stack.of(this), this.node.path);
    return createDefaultVpc(this);
  }

  /** Lets `peer` call the endpoint: opens the listener port of the load balancer to it. */
  public grantInvoke(peer: ec2.IConnectable): void {
    this.connections.allowDefaultPortFrom(peer, `invoke GPU endpoint ${this.resolved.name}`);
  }

  private gpuMetric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: GPU_METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { AutoScalingGroupName: this.autoScalingGroup.autoScalingGroupName },
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.minutes(1),
      ...props,
    });
  }
}


/** Endpoints per stack that built their own VPC. */
const ownNetworks = new WeakMap<Stack, string[]>();

function warnOnSecondNetwork(stack: Stack, endpointPath: string): void {
  const paths = [...(ownNetworks.get(stack) ?? []), endpointPath];
  ownNetworks.set(stack, paths);
  if (paths.length === 2) {
    Annotations.of(stack).addWarningV2(
      'ai-stack:gpu-endpoint-several-vpcs',
      `${paths[0]} and ${paths[1]} (and any later endpoint without a vpc) each build a VPC with its own NAT gateway: ` +
        'create one ec2.Vpc in the stack and pass it as vpc to every GpuEndpoint.',
    );
  }
}

/** Availability Zones of `subnets`, each once, in subnet order. */
function distinctZones(subnets: readonly ec2.ISubnet[]): string[] {
  return [...new Set(subnets.map((s) => s.availabilityZone))];
}

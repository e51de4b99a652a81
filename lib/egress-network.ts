import { Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PIPELINE_SETTINGS } from '../core/pipeline-settings.js';
import { logRetention } from './function-logging.js';
import type { FunctionNetwork } from './pipeline-function.js';

/** Options of {@link EgressNetwork}. */
export interface EgressNetworkProps {
  /** Encrypts the flow log's log group. */
  readonly logKey: kms.IKey;
  /** Add an interface endpoint for Kinesis Data Streams in the stack's region. */
  readonly kinesisEndpoint: boolean;
  /**
   * Elastic IPs the customer allocated, one per availability zone, for the NAT gateways.
   * @default - new Elastic IPs
   */
  readonly elasticIpAllocationIds?: readonly string[];
  /**
   * What deleting the stack (or replacing them) does to the Elastic IPs it creates: RETAIN keeps the
   * addresses partners allowlisted (pass them back as `elasticIpAllocationIds`); DESTROY for test stacks.
   */
  readonly elasticIpRemovalPolicy: RemovalPolicy;
}

/** What asks for the network: the construct's props. */
export interface EgressNetworkRequest {
  readonly staticEgressIps?: boolean;
  readonly kinesisEndpoint?: boolean;
  readonly elasticIpAllocationIds?: readonly string[];
  readonly dataRemovalPolicy: RemovalPolicy;
}

/**
 * The availability zones the network spans: two. An environment-agnostic stack (the default app)
 * knows its region's zones only as `Fn::GetAZs`, so their number is not known at synth; CDK's own
 * VPC then takes two, and a stack with an account and region would look the zones up — synthesis
 * must stay offline. Two zones keep the exporter running when one zone fails.
 */
export const EGRESS_AZ_COUNT = 2;

/** The VPC's range: a /24 is plenty (Lambda shares one ENI per subnet and security group). */
const CIDR = '10.64.0.0/24';
const PUBLIC_SUBNETS = ['10.64.0.0/28', '10.64.0.16/28'];
const PRIVATE_SUBNETS = ['10.64.0.64/26', '10.64.0.128/26'];

/**
 * The network of `staticEgressIps`: a VPC in {@link EGRESS_AZ_COUNT} availability zones, each
 * with a public subnet holding a NAT gateway and its Elastic IP, and a private subnet for the
 * functions, whose only route out is that NAT gateway — so every request they send to a
 * destination stream leaves from one of {@link elasticIps}. Written with CloudFormation resources
 * (`Fn::Select` over `Fn::GetAZs`), not `ec2.Vpc`, which would look the zones up for a stack with an
 * environment. The functions' security group allows HTTPS out and nothing else; the flow log records
 * every connection.
 */
export class EgressNetwork extends Construct {
  /** The VPC, for the functions' `vpc` prop. */
  readonly vpc: ec2.IVpc;
  /** The private subnets the functions run in. */
  readonly subnets: readonly ec2.ISubnet[];
  /** The functions' security group: HTTPS out only. */
  readonly securityGroup: ec2.SecurityGroup;
  /**
   * One per availability zone: the addresses every request to a stream leaves from (none when the
   * customer supplied `elasticIpAllocationIds`).
   */
  readonly elasticIps: readonly ec2.CfnEIP[];
  /** The interface endpoint of Kinesis Data Streams, with `kinesisEndpoint`. */
  readonly kinesisEndpoint?: ec2.InterfaceVpcEndpoint;

  /**
   * The network of `staticEgressIps`, or undefined when it is not asked for. Its Elastic IPs are
   * retained unless the construct's data is destroyed with the stack (`dataRemovalPolicy: DESTROY`).
   */
  static ifRequested(
    scope: Construct,
    request: EgressNetworkRequest,
    logKey: kms.IKey,
  ): EgressNetwork | undefined {
    if (request.staticEgressIps !== true) return undefined;
    return new EgressNetwork(scope, 'EgressNetwork', {
      logKey,
      kinesisEndpoint: request.kinesisEndpoint === true,
      ...(request.elasticIpAllocationIds === undefined
        ? {}
        : { elasticIpAllocationIds: request.elasticIpAllocationIds }),
      elasticIpRemovalPolicy:
        request.dataRemovalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
  }

  /** Where a function placed in this network runs (PipelineFunction's `network`). */
  get functionNetwork(): FunctionNetwork {
    return {
      vpc: this.vpc,
      subnets: this.subnets,
      securityGroup: this.securityGroup,
      grantNetworkInterfaces: (role) => EgressNetwork.grantNetworkInterfaces(role),
    };
  }

  constructor(scope: Construct, id: string, props: EgressNetworkProps) {
    super(scope, id);
    const vpc = new ec2.CfnVPC(this, 'Vpc', {
      cidrBlock: CIDR,
      enableDnsHostnames: true,
      enableDnsSupport: true,
    });
    const gateway = new ec2.CfnInternetGateway(this, 'InternetGateway');
    const attachment = new ec2.CfnVPCGatewayAttachment(this, 'InternetGatewayAttachment', {
      vpcId: vpc.ref,
      internetGatewayId: gateway.ref,
    });

    const zones: string[] = [];
    const privateSubnets: { subnet: ec2.CfnSubnet; routeTable: ec2.CfnRouteTable }[] = [];
    const elasticIps: ec2.CfnEIP[] = [];
    for (let i = 0; i < EGRESS_AZ_COUNT; i += 1) {
      const zone = Fn.select(i, Fn.getAzs());
      zones.push(zone);
      const n = i + 1;
      const publicSubnet = this.subnet(`Public${n}`, vpc, zone, PUBLIC_SUBNETS[i]);
      const publicRoutes = this.routeTable(`Public${n}`, vpc, publicSubnet);
      const toInternet = new ec2.CfnRoute(this, `Public${n}DefaultRoute`, {
        routeTableId: publicRoutes.ref,
        destinationCidrBlock: '0.0.0.0/0',
        gatewayId: gateway.ref,
      });
      toInternet.node.addDependency(attachment);

      let allocationId = props.elasticIpAllocationIds?.[i];
      if (allocationId === undefined) {
        const eip = new ec2.CfnEIP(this, `ElasticIp${n}`, { domain: 'vpc' });
        eip.node.addDependency(attachment);
        // The addresses partners allowlist: kept when the stack is deleted or the EIP replaced.
        eip.applyRemovalPolicy(props.elasticIpRemovalPolicy);
        elasticIps.push(eip);
        allocationId = eip.attrAllocationId;
      }
      const nat = new ec2.CfnNatGateway(this, `NatGateway${n}`, {
        subnetId: publicSubnet.ref,
        allocationId,
      });

      const privateSubnet = this.subnet(`Private${n}`, vpc, zone, PRIVATE_SUBNETS[i]);
      const privateRoutes = this.routeTable(`Private${n}`, vpc, privateSubnet);
      new ec2.CfnRoute(this, `Private${n}DefaultRoute`, {
        routeTableId: privateRoutes.ref,
        destinationCidrBlock: '0.0.0.0/0',
        natGatewayId: nat.ref,
      });
      privateSubnets.push({ subnet: privateSubnet, routeTable: privateRoutes });
    }
    this.elasticIps = elasticIps;

    this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Reference', {
      vpcId: vpc.ref,
      vpcCidrBlock: CIDR,
      availabilityZones: zones,
      privateSubnetIds: privateSubnets.map((p) => p.subnet.ref),
      privateSubnetRouteTableIds: privateSubnets.map((p) => p.routeTable.ref),
    });
    this.subnets = privateSubnets.map((p, i) =>
      ec2.Subnet.fromSubnetAttributes(this, `FunctionSubnet${i + 1}`, {
        subnetId: p.subnet.ref,
        availabilityZone: zones[i] ?? '',
        routeTableId: p.routeTable.ref,
      }),
    );

    this.securityGroup = new ec2.SecurityGroup(this, 'Functions', {
      vpc: this.vpc,
      description: 'kinesis-destination functions: HTTPS to AWS service endpoints only',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS service endpoints');

    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: logRetention(PIPELINE_SETTINGS.logRetentionDays),
      encryptionKey: props.logKey,
    });
    new ec2.FlowLog(this, 'FlowLog', {
      resourceType: ec2.FlowLogResourceType.fromVpc(this.vpc),
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    if (props.kinesisEndpoint) {
      const endpointGroup = new ec2.SecurityGroup(this, 'KinesisEndpointSecurityGroup', {
        vpc: this.vpc,
        description: 'kinesis-destination Kinesis endpoint: HTTPS from the functions only',
        allowAllOutbound: false,
      });
      endpointGroup.addIngressRule(this.securityGroup, ec2.Port.tcp(443), 'HTTPS from the functions');
      this.kinesisEndpoint = new ec2.InterfaceVpcEndpoint(this, 'KinesisEndpoint', {
        vpc: this.vpc,
        service: ec2.InterfaceVpcEndpointAwsService.KINESIS_STREAMS,
        subnets: { subnets: [...this.subnets] },
        privateDnsEnabled: true,
        securityGroups: [endpointGroup],
        open: false,
      });
    }
  }

  /**
   * The actions Lambda needs on the execution role of a function in a VPC, to manage its network
   * interfaces: those of AWS's AWSLambdaVPCAccessExecutionRole, as one exact statement. On "*",
   * as in that policy: the Describe actions have no resource type, and Lambda checks the others
   * when the function is created.
   */
  static grantNetworkInterfaces(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ManageVpcNetworkInterfaces',
        actions: [...NETWORK_INTERFACE_ACTIONS],
        resources: ['*'],
      }),
    );
  }

  private subnet(id: string, vpc: ec2.CfnVPC, zone: string, cidrBlock: string | undefined): ec2.CfnSubnet {
    return new ec2.CfnSubnet(this, `${id}Subnet`, {
      vpcId: vpc.ref,
      availabilityZone: zone,
      cidrBlock: cidrBlock ?? '',
      // The NAT gateways have their Elastic IPs; nothing else gets a public address.
      mapPublicIpOnLaunch: false,
    });
  }

  private routeTable(id: string, vpc: ec2.CfnVPC, subnet: ec2.CfnSubnet): ec2.CfnRouteTable {
    const table = new ec2.CfnRouteTable(this, `${id}RouteTable`, { vpcId: vpc.ref });
    new ec2.CfnSubnetRouteTableAssociation(this, `${id}RouteTableAssociation`, {
      subnetId: subnet.ref,
      routeTableId: table.ref,
    });
    return table;
  }
}

/** The network-interface actions of a VPC function's execution role. */
export const NETWORK_INTERFACE_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

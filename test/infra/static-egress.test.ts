import { App, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { KinesisDestination } from '../../lib/kinesis-destination.js';
import { KinesisDestinationStack } from '../../lib/kinesis-destination-stack.js';
import { propsFromConfig } from '../../lib/props-from-config.js';
import { cdkJsonContext, configWith, exampleConfig, statementsWith, synth } from './synth.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;

const staticEgress = (network: Record<string, boolean> = { staticEgressIps: true }) =>
  configWith((raw) => {
    raw.network = network;
  });

const ofType = (template: Template, type: string) =>
  Object.entries(template.findResources(type) as Resources);

describe('"network": { "staticEgressIps": true }', () => {
  let template: Template;
  beforeAll(() => {
    template = synth(staticEgress()).template;
  });

  it('gives each of the two availability zones a NAT gateway holding its own Elastic IP', () => {
    const eips = ofType(template, 'AWS::EC2::EIP');
    const nats = ofType(template, 'AWS::EC2::NatGateway');
    const subnets = ofType(template, 'AWS::EC2::Subnet');
    expect(eips).toHaveLength(2);
    expect(nats).toHaveLength(2);
    const zoneOf = (subnetRef: unknown) =>
      subnets.find(([id]) => id === (subnetRef as { Ref: string }).Ref)?.[1].Properties.AvailabilityZone;
    expect(nats.map(([, n]) => zoneOf(n.Properties.SubnetId))).toEqual([
      { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] },
      { 'Fn::Select': [1, { 'Fn::GetAZs': '' }] },
    ]);
    expect(
      nats.map(([, n]) => (n.Properties.AllocationId as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]),
    ).toEqual(eips.map(([id]) => id));
    for (const [, subnet] of subnets) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
  });

  it('lists the Elastic IPs in the StaticEgressIps output for the allowlist', () => {
    const eips = ofType(template, 'AWS::EC2::EIP').map(([id]) => id);
    template.hasOutput('StaticEgressIps', {
      Value: { 'Fn::Join': [',', eips.map((id) => ({ 'Fn::GetAtt': [id, 'PublicIp'] }))] },
    });
  });

  it('runs the export function and the connection check in the private subnets, routed only through the NAT gateway of their zone', () => {
    const functions = ofType(template, 'AWS::Lambda::Function');
    const inVpc = functions.filter(([, f]) => f.Properties.VpcConfig !== undefined).map(([id]) => id);
    expect(inVpc).toEqual([
      expect.stringMatching(/^ExportFunction/),
      expect.stringMatching(/^ConnectionCheckHandlerFunction/),
    ]);
    const routes = ofType(template, 'AWS::EC2::Route');
    const privateRoutes = routes.filter(([id]) => /Private\dDefaultRoute/.test(id));
    expect(privateRoutes.map(([, r]) => r.Properties)).toEqual([
      expect.objectContaining({
        DestinationCidrBlock: '0.0.0.0/0',
        NatGatewayId: { Ref: expect.stringMatching(/NatGateway1/) },
      }),
      expect.objectContaining({
        DestinationCidrBlock: '0.0.0.0/0',
        NatGatewayId: { Ref: expect.stringMatching(/NatGateway2/) },
      }),
    ]);
    const [, exportFn] = functions.find(([id]) => id.startsWith('ExportFunction')) ?? [];
    expect(exportFn?.Properties.VpcConfig).toEqual({
      SecurityGroupIds: [{ 'Fn::GetAtt': [expect.stringMatching(/^EgressNetworkFunctions/), 'GroupId'] }],
      SubnetIds: [
        { Ref: expect.stringMatching(/Private1Subnet/) },
        { Ref: expect.stringMatching(/Private2Subnet/) },
      ],
    });
  });

  it("lets the functions' security group send HTTPS and nothing else, and logs every flow", () => {
    const [, group] =
      ofType(template, 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('EgressNetworkFunctions')) ??
      [];
    expect(group?.Properties.SecurityGroupEgress).toEqual([
      {
        CidrIp: '0.0.0.0/0',
        Description: 'HTTPS to AWS service endpoints',
        FromPort: 443,
        IpProtocol: 'tcp',
        ToPort: 443,
      },
    ]);
    expect(group?.Properties.SecurityGroupIngress).toBeUndefined();
    template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL' });
  });

  it('grants the two VPC functions the network-interface actions Lambda needs, and no other role', () => {
    for (const role of ['ExportRole', 'ConnectionCheckHandlerRole']) {
      expect(statementsWith(template, role, 'ec2:')).toEqual([
        expect.objectContaining({ Sid: 'ManageVpcNetworkInterfaces', Resource: '*' }),
      ]);
    }
    for (const role of ['DecideRole', 'BackfillRole'])
      expect(statementsWith(template, role, 'ec2:')).toEqual([]);
  });

  it('checks the streams only once the routes exist', () => {
    const [, check] = ofType(template, 'Custom::KinesisConnectionCheck')[0] ?? [];
    const natRoutes = ofType(template, 'AWS::EC2::Route').map(([id]) => id);
    expect(check?.DependsOn).toEqual(expect.arrayContaining(natRoutes));
  });

  it('has no Kinesis endpoint unless asked', () => {
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    expect(template.toJSON().Outputs.KinesisVpcEndpointId).toBeUndefined();
  });

  it('synthesizes offline in a stack with an account and region (no availability-zone lookup)', () => {
    const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
    new KinesisDestinationStack(app, 'KinesisDestination', {
      config: staticEgress(),
      env: { account: '123456789012', region: 'us-east-2' },
    });
    expect(app.synth().manifest.missing ?? []).toEqual([]);
  });
});

describe('"network": { "staticEgressIps": true, "kinesisEndpoint": true }', () => {
  it('adds an interface endpoint for Kinesis Data Streams, reachable from the functions only, and outputs its id', () => {
    const { template } = synth(staticEgress({ staticEgressIps: true, kinesisEndpoint: true }));
    const [[id, endpoint] = []] = ofType(template, 'AWS::EC2::VPCEndpoint');
    expect(endpoint?.Properties).toMatchObject({ VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
    expect(JSON.stringify(endpoint?.Properties.ServiceName)).toContain('kinesis-streams');
    template.hasOutput('KinesisVpcEndpointId', { Value: { Ref: id } });
    const ingress = ofType(template, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
    expect(ingress).toEqual([
      expect.objectContaining({
        FromPort: 443,
        ToPort: 443,
        SourceSecurityGroupId: {
          'Fn::GetAtt': [expect.stringMatching(/^EgressNetworkFunctions/), 'GroupId'],
        },
      }),
    ]);
  });

  it('is refused on the construct without staticEgressIps too', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Team');
    expect(
      () =>
        new KinesisDestination(stack, 'Pipeline', {
          ...propsFromConfig(stack, exampleConfig()),
          kinesisEndpoint: true,
        }),
    ).toThrow(
      'KinesisDestination Team/Pipeline: kinesisEndpoint: needs staticEgressIps: true: the endpoint is placed in the VPC that option creates',
    );
  });

  it('needs staticEgressIps, which creates the VPC it goes in', () => {
    expect(() => staticEgress({ kinesisEndpoint: true })).toThrow(
      'network.kinesisEndpoint: needs "staticEgressIps": true: the endpoint is placed in the VPC that option creates',
    );
  });
});

describe('without the option', () => {
  it('creates no network resource and no egress output (the template diff test holds the rest)', () => {
    const { template } = synth(exampleConfig());
    const types = Object.values(template.toJSON().Resources as Resources).map((r) => r.Type);
    expect(types.filter((t) => t.startsWith('AWS::EC2::'))).toEqual([]);
    expect(template.toJSON().Outputs.StaticEgressIps).toBeUndefined();
    for (const [, f] of ofType(template, 'AWS::Lambda::Function'))
      expect(f.Properties.VpcConfig).toBeUndefined();
  });
});

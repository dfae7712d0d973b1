/**
 * cdk-nag acknowledgments, always per finding and with a reason. cdk-nag 3 reports granular rules (IAM4,
 * IAM5) once per policy or wildcard resource and only an acknowledgment of that exact finding id silences
 * it, so a new wildcard someone adds later still fails the synth until it is argued for.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** How cdk-nag writes a resource in a finding id: tokens as `<AWS::Partition>`, `<Logical.Arn>`. */
export function nagResourceName(scope: IConstruct, value: string): string {
  const resolved: unknown = Stack.of(scope).resolve(value);
  const part = (p: unknown): string => {
    if (typeof p === 'string') return p;
    const ref = (p as { Ref?: string }).Ref;
    if (ref) return `<${ref}>`;
    const getAtt = (p as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
    if (getAtt) return `<${getAtt[0]}.${getAtt[1]}>`;
    throw new Error(`cannot name ${JSON.stringify(p)} for cdk-nag`);
  };
  const join = (resolved as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  return join ? join[1].map(part).join(join[0]) : part(resolved);
}

export function acknowledgeWildcards(scope: IConstruct, resources: string[], reason: string): void {
  for (const resource of new Set(resources.map((r) => nagResourceName(scope, r)))) {
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
  }
}

export function acknowledgeManagedPolicy(scope: IConstruct, policy: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policy}]`, reason });
}

/**
 * Publishing to the KMS-encrypted notification topic needs kms:GenerateDataKey* and kms:Decrypt on its key
 * (SNS encrypts with a data key under the caller's identity); CDK's grantPublish grants exactly that, on the
 * one key, and GenerateDataKey* is the action family KMS documents for it.
 */
export function acknowledgeKeyUse(scope: IConstruct): void {
  Validations.of(scope).acknowledge({
    id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    reason: 'Publishing to the KMS-encrypted notification topic: GenerateDataKey* on that one key, as KMS documents for SNS publishers.',
  });
}

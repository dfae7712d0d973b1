#!/usr/bin/env node
/** CDK entry point (`npx cdk synth`): one stack per pipeline in pipelines/*.yaml, or `-c pipelines=a,b`. */
import { buildApp, InvalidPipelineConfig } from '../infra/app';
import { defaultPipelineFiles } from './cli';

try {
  buildApp({ files: defaultPipelineFiles() }).app.synth();
} catch (error) {
  if (error instanceof InvalidPipelineConfig) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}

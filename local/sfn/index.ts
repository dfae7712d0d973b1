/** The local Step Functions API and its @aws-sdk/client-sfn plugin. */
export {
  LocalStepFunctions,
  type ExecutionStatusChangeDetail,
  type ExecutionStatusChangeEvent,
  type ExecutionStatusChangeListener,
  type LocalStepFunctionsOptions,
  type LocalStepFunctionsSnapshot,
  type StateMachineRecord,
} from './service';
export { LOCAL_SFN_COMMANDS, localSfnPlugin, registerLocalSfn, UnsupportedLocalOperation } from './plugin';

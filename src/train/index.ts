/** Public surface of train/ (backends, architectures, training loop, evaluation, classify): other folders import only from here. */
export { ARCHS } from './archs/index.ts';
export { BACKEND_CHOICES, type BackendRequest } from './backend.ts';
export { classifyFiles, predictionsCsv, type ClassifyOptions, type ClassifyResult, type PredictionRow } from './classify.ts';
export { DEFAULT_CLASSIFY_BATCH, TRAIN_DEFAULTS } from './defaults.ts';
export { formatDoctor, runDoctor } from './doctor.ts';
export { evaluateRun } from './evaluate.ts';
export { trainModality } from './loop.ts';
export { LR_SCHEDULES, type LrSchedule } from './sgd.ts';
export { CLASS_WEIGHTINGS, type ClassWeighting, type TrainOptions } from './trainConfig.ts';

/**
 * Every command, one line each. A command module exports a function that adds
 * itself to the commander program; `setExitCode` lets it report a code
 * without calling process.exit (tests run main() in-process).
 */
import type { Command } from 'commander';
import { registerShow } from './show.js';
import { registerInfo } from './info.js';
import { registerView } from './view.js';
import { registerRecord } from './record.js';
import { registerReport } from './report.js';
import { registerServe } from './serve.js';
import { registerUpload } from './upload.js';
import { registerToken } from './token.js';
import { registerConvert } from './convert.js';
import { registerAgentPath } from './agent-path.js';
import { registerDiff } from './diff.js';
import { registerAttach } from './attach.js';
import { registerDump } from './dump.js';
import { registerTop } from './top.js';
import { registerQuery } from './query.js';

export type RegisterCommand = (program: Command, setExitCode: (code: number) => void) => void;

export const commands: RegisterCommand[] = [
  registerRecord,
  registerAttach,
  registerDump,
  registerTop,
  registerShow,
  registerInfo,
  registerDiff,
  registerView,
  registerReport,
  registerConvert,
  registerServe,
  registerUpload,
  registerToken,
  registerAgentPath,
  registerQuery,
];

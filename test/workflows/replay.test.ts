/**
 * Determinism: the workflow code must replay every history it ever wrote. Histories
 * recorded from real runs are kept in test/fixtures/histories; a change to a workflow that
 * would make a running one fail on replay fails here first, and must go behind patched().
 * The histories of this run's own documents are replayed too.
 *
 * To record the fixtures again after a deliberate, patched change: RECORD_HISTORIES=1.
 */

import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { WORKFLOWS_PATH, workflowBundlePath } from '../../runtime/workflow-bundle';
import { type TestSystem, testSystem } from '../support/system';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');
const run = promisify(execFile);

describe('workflows replay every recorded history (determinism)', function () {
  this.timeout(180_000);
  let system: TestSystem;
  let bundle: string;

  before(async () => {
    system = await testSystem();
    bundle = await workflowBundlePath(WORKFLOWS_PATH, path.join(tmpdir(), 'vanthu-test-cache'));
    // Replay warnings are the test's verdict, not noise for the console.
    try {
      Runtime.install({ logger: new DefaultLogger('ERROR') });
    } catch {
      /* installed already by the test system's worker */
    }
  });

  async function replay(name: string, history: unknown): Promise<void> {
    // The worker reads the JSON the CLI exports (proto3 JSON) itself.
    await Worker.runReplayHistory({ workflowBundle: { codePath: bundle } }, history, name);
  }

  it('replays the histories recorded from earlier versions', async () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
    expect(files.length, 'recorded histories').to.be.greaterThan(2);
    for (const file of files) {
      await replay(file, JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')));
    }
  });

  it("replays this run's finished and running document workflows", async () => {
    const ids = await system.sequelize.query<{ workflow_id: string; status: string }>(
      `SELECT DISTINCT ON (status) workflow_id, status FROM document ORDER BY status, created_at DESC`,
      { type: QueryTypes.SELECT },
    );
    expect(ids.length, 'documents of this run').to.be.greaterThan(0);
    for (const { workflow_id, status } of ids) {
      const json = await exported(workflow_id);
      await replay(workflow_id, json);
      if (process.env.RECORD_HISTORIES) record(`document-${status}`, json);
    }
    // Report requests too: opened, reminded, escalated.
    for await (const execution of system.temporal.workflow.list({
      query: "WorkflowType = 'reportRequestWorkflow' AND ExecutionStatus = 'Completed'",
    })) {
      const json = await exported(execution.workflowId);
      await replay(execution.workflowId, json);
      if (process.env.RECORD_HISTORIES) record('report-request-completed', json);
    }
  });

  /** A history as the Temporal CLI exports it (`temporal workflow show --output json`). */
  async function exported(workflowId: string): Promise<unknown> {
    const { stdout } = await run(
      system.temporalCliPath,
      [
        'workflow',
        'show',
        '--address',
        system.target.address,
        '--workflow-id',
        workflowId,
        '--output',
        'json',
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    return JSON.parse(stdout);
  }

  function record(name: string, json: unknown): void {
    mkdirSync(FIXTURES, { recursive: true });
    writeFileSync(path.join(FIXTURES, `${name}.json`), `${JSON.stringify(json)}\n`);
  }
});

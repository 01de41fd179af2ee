/**
 * One workflow per document, id `document-<id>`: the only writer of the document's state.
 *
 * Deterministic orchestration only — every effect is an activity; time comes from the
 * workflow clock. People act through Updates: a validator refuses the wrong person, the
 * wrong state or a stale version at once, with the reason; an accepted Update runs under
 * the workflow's lock (one action at a time) and answers with the result. Deadlines are
 * kept in the state; the main loop sleeps until the next one or until something changes.
 * Recipients never signal the workflow: their acknowledgments are rows in PostgreSQL that
 * the workflow counts when a deadline fires.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { LifecycleActivities } from '../activities/lifecycle';
import { checkChain, stepOutcome } from '../domain/approval';
import { isDomainError } from '../domain/errors';
import { type DocumentStatus, TERMINAL_STATUSES } from '../domain/lifecycle';
import { checkRecipients } from '../domain/recipients';
import {
  type ActorRef,
  type CompleteSigningRequest,
  cancelUpdate,
  closeUpdate,
  completeIssueUpdate,
  completeSignatureUpdate,
  createdUpdate,
  type DocumentSummary,
  type DocumentWorkflowInput,
  type DocumentWorkflowState,
  decideUpdate,
  detailQuery,
  documentWorkflowId,
  editUpdate,
  prepareIssueUpdate,
  prepareSignatureUpdate,
  recallUpdate,
  replacedSignal,
  stateQuery,
  submitUpdate,
} from './definitions';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** How long a prepared signature waits for its value (a person at a USB token). */
const SIGNING_SESSION_MS = 30 * MINUTE;
/** How long a number taken for issuing stays reserved before it is cancelled. */
const ISSUE_SESSION_MS = 2 * HOUR;
/** After a deadline's reminder, how long until the overdue are escalated. */
const DEFAULT_ESCALATE_AFTER_MS = 24 * HOUR;
/** After escalation, how often the workflow looks whether every recipient is done. */
const FOLLOW_UP_MS = 24 * HOUR;
const DISPATCH_BATCH = 5_000;

// Short database writes run as local activities, inside the workflow task: people wait
// for these, and each saves two round trips through the server.
const quick = proxyLocalActivities<LifecycleActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});
// Signing, rendering and dispatch do real work; they run as ordinary activities. Each
// takes well under a second (a batch of 5,000 deliveries, a 100-page render), so a short
// timeout lets another worker retry soon after one dies.
const work = proxyActivities<LifecycleActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '30 seconds' },
});

/**
 * A refusal the caller sees as a clear reason, with a code the api maps to a status and,
 * for a validation, the request field at fault (carried as the failure's one detail).
 */
function refuse(
  code: 'invalid_transition' | 'forbidden' | 'conflict' | 'validation',
  message: string,
  field?: string,
): never {
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true, details: field ? [field] : [] });
}

function isoNow(): string {
  return new Date().toISOString();
}

export async function documentWorkflow(input: DocumentWorkflowInput): Promise<DocumentStatus> {
  const { workflowId } = workflowInfo();
  let state: DocumentWorkflowState | null = input.carried ?? null;
  let busy = false;
  let revision = 0;

  const current = (): DocumentWorkflowState => {
    if (!state) refuse('conflict', 'the document is still being created; try again in a moment');
    return state;
  };
  const changed = (): void => {
    revision += 1;
  };
  /** Runs one action at a time: handlers interleave at every await otherwise. */
  async function exclusively<T>(action: () => Promise<T>): Promise<T> {
    await condition(() => !busy);
    busy = true;
    try {
      return await action();
    } finally {
      busy = false;
      changed();
    }
  }
  const requireStatus = (allowed: readonly DocumentStatus[], what: string): DocumentWorkflowState => {
    const s = current();
    if (!allowed.includes(s.summary.status)) {
      refuse('invalid_transition', `cannot ${what}: the document is ${s.summary.status.replace('_', ' ')}`);
    }
    return s;
  };

  setHandler(stateQuery, () => state?.summary ?? null);
  setHandler(detailQuery, () => state);
  setHandler(createdUpdate, async () => {
    await condition(() => state !== null);
    return state!.summary;
  });

  // --- drafting -----------------------------------------------------------------------
  setHandler(
    editUpdate,
    (request) =>
      exclusively(async () => {
        const s = requireStatus(['draft', 'changes_requested'], 'edit');
        if (request.baseVersion !== s.summary.version) {
          refuse(
            'conflict',
            `version ${request.baseVersion} is stale: the draft is at version ${s.summary.version}`,
          );
        }
        s.summary = await quick.saveVersion({
          documentId: s.summary.id,
          workflowId,
          version: s.summary.version + 1,
          content: request.content,
          actor: request.actor,
          at: isoNow(),
        });
        s.content = request.content;
        return s.summary;
      }),
    {
      validator: (request) => {
        const s = requireStatus(['draft', 'changes_requested'], 'edit');
        if (request.baseVersion !== s.summary.version) {
          refuse(
            'conflict',
            `version ${request.baseVersion} is stale: the draft is at version ${s.summary.version}`,
          );
        }
        if (request.content.recipients) checkRecipients(request.content.recipients);
      },
    },
  );

  // --- review -------------------------------------------------------------------------
  setHandler(
    submitUpdate,
    (request) =>
      exclusively(async () => {
        const s = requireStatus(['draft', 'changes_requested'], 'submit');
        const round = (s.approval?.round ?? 0) + 1;
        await quick.openReview({
          documentId: s.summary.id,
          workflowId,
          round,
          chain: request.chain,
          stepDue: request.stepDue,
          version: s.summary.version,
          sha256: s.summary.sha256,
          actor: request.actor,
          at: isoNow(),
        });
        s.approval = {
          round,
          step: 0,
          chain: request.chain,
          stepDue: request.stepDue,
          decisions: {},
          remindedSteps: [],
          escalatedSteps: [],
        };
        s.summary = { ...s.summary, status: 'in_review' };
        return s.summary;
      }),
    {
      validator: (request) => {
        const s = requireStatus(['draft', 'changes_requested'], 'submit');
        if (request.version !== s.summary.version) {
          refuse(
            'conflict',
            `version ${request.version} is stale: the draft is at version ${s.summary.version}`,
          );
        }
        // The default chain is the chosen signer: without one there is no chain to check.
        if (!s.content.signer) {
          refuse(
            'validation',
            "choose who signs (the draft's signer) before submitting it for approval",
            'body.signer',
          );
        }
        try {
          checkChain(request.chain);
        } catch (error) {
          // A DomainError is not an ApplicationFailure: uncaught it would reach the caller as
          // an unexplained failure rather than the reason.
          if (isDomainError(error)) {
            refuse('validation', `${error.field}: ${error.message}`, error.field && `body.${error.field}`);
          }
          throw error;
        }
        if (request.stepDue.length !== request.chain.length)
          refuse('validation', 'one deadline per approval step');
      },
    },
  );

  const checkDecision = (s: DocumentWorkflowState, actor: ActorRef, version: number): void => {
    const approval = s.approval!;
    const step = approval.chain[approval.step]!;
    if (!step.approvers.includes(actor.personId)) {
      refuse('forbidden', `you are not an approver of the current step (${step.label})`);
    }
    if (approval.decisions[String(actor.personId)])
      refuse('conflict', 'you have already decided on this step');
    if (version !== s.summary.version) {
      refuse(
        'conflict',
        `you read version ${version}, but the draft under review is version ${s.summary.version}`,
      );
    }
  };

  setHandler(
    decideUpdate,
    (request) =>
      exclusively(async () => {
        const s = requireStatus(['in_review'], `${request.decision} the document`);
        checkDecision(s, request.actor, request.version);
        const approval = s.approval!;
        const step = approval.chain[approval.step]!;
        const decisions = new Map(Object.entries(approval.decisions).map(([k, v]) => [Number(k), v]));
        decisions.set(request.actor.personId, request.decision);
        const outcome = stepOutcome(step, decisions);
        const last = approval.step === approval.chain.length - 1;
        await quick.recordDecision({
          documentId: s.summary.id,
          workflowId,
          round: approval.round,
          step: approval.step,
          actor: request.actor,
          decision: request.decision,
          ...(request.comment ? { comment: request.comment } : {}),
          version: s.summary.version,
          sha256: s.summary.sha256,
          outcome,
          nextStep: outcome === 'approved' && !last ? approval.step + 1 : null,
          at: isoNow(),
        });
        approval.decisions[String(request.actor.personId)] = request.decision;
        if (outcome === 'returned') s.summary = { ...s.summary, status: 'changes_requested' };
        else if (outcome === 'rejected') s.summary = { ...s.summary, status: 'rejected' };
        else if (outcome === 'approved' && !last) {
          approval.step += 1;
          approval.decisions = {};
        } else if (outcome === 'approved') {
          // The last approval pins the exact bytes that may be signed: the rendered PDF
          // of this version, with its empty number, date and seal fields.
          const pinned = await work.pinApprovedVersion({
            documentId: s.summary.id,
            workflowId,
            version: s.summary.version,
            sha256: s.summary.sha256,
            at: isoNow(),
          });
          s.approved = { version: s.summary.version, sha256: s.summary.sha256, pdfSha256: pinned.pdfSha256 };
          s.summary = { ...s.summary, status: 'approved' };
        }
        return s.summary;
      }),
    {
      validator: (request) => {
        const s = requireStatus(['in_review'], `${request.decision} the document`);
        checkDecision(s, request.actor, request.version);
      },
    },
  );

  /** Gives up an open signing session; a number it reserved is cancelled, never reused. */
  const abandonSession = async (doc: DocumentWorkflowState, sessionId: string, reason: string) => {
    await quick.abandonSigning({ documentId: doc.summary.id, workflowId, sessionId, reason, at: isoNow() });
    doc.signing = undefined;
  };

  // --- signing by the leader (two-phase: prepare, then the signature value) ---------------
  const checkSigner = (s: DocumentWorkflowState, actor: ActorRef): void => {
    if (s.content.signer?.personId !== actor.personId) refuse('forbidden', 'only the chosen signer may sign');
  };
  setHandler(
    prepareSignatureUpdate,
    (request) =>
      exclusively(async () => {
        const s = requireStatus(['approved'], 'sign');
        checkSigner(s, request.actor);
        if (s.signing) await abandonSession(s, s.signing.sessionId, 'a new signing was started');
        const sessionId = uuid4();
        const expiresAt = new Date(Date.now() + SIGNING_SESSION_MS).toISOString();
        const prepared = await work.prepareLeaderSigning({
          documentId: s.summary.id,
          workflowId,
          sessionId,
          actor: request.actor,
          certificate: request.certificate,
          chain: request.chain,
          pdfSha256: s.approved!.pdfSha256,
          at: isoNow(),
          expiresAt,
        });
        s.signing = { sessionId, purpose: 'leader', personId: request.actor.personId, expiresAt };
        return prepared;
      }),
    {
      validator: (request) => {
        const s = requireStatus(['approved'], 'sign');
        checkSigner(s, request.actor);
      },
    },
  );

  const checkSession = (
    s: DocumentWorkflowState,
    request: { actor: ActorRef; sessionId: string },
    purpose: string,
  ) => {
    if (!s.signing || s.signing.sessionId !== request.sessionId || s.signing.purpose !== purpose) {
      refuse('conflict', 'this signing session is not open (expired, replaced or unknown); prepare again');
    }
    if (s.signing.personId !== request.actor.personId)
      refuse('forbidden', 'this signing session is someone else’s');
  };
  /**
   * Handing in the signature value of an open session: checked against the session, embedded
   * by the activity, and the document moves on. The leader's signature and the seal alike.
   */
  const completion = (
    from: DocumentStatus,
    what: string,
    purpose: 'leader' | 'seal',
    embed: (
      input: CompleteSigningRequest & { documentId: string; workflowId: string; at: string },
    ) => Promise<unknown>,
    to: DocumentStatus,
  ) =>
    [
      (request: CompleteSigningRequest) =>
        exclusively(async () => {
          const s = requireStatus([from], what);
          checkSession(s, request, purpose);
          await embed({
            documentId: s.summary.id,
            workflowId,
            sessionId: request.sessionId,
            actor: request.actor,
            signatureValue: request.signatureValue,
            at: isoNow(),
          });
          s.signing = undefined;
          s.summary = { ...s.summary, status: to };
          return s.summary;
        }),
      {
        validator: (request: CompleteSigningRequest) =>
          checkSession(requireStatus([from], what), request, purpose),
      },
    ] as const;
  setHandler(
    completeSignatureUpdate,
    ...completion('approved', 'complete the signature', 'leader', work.completeLeaderSigning, 'signed'),
  );

  // --- issuing by the clerk: number, date and the organisation's seal ------------------
  setHandler(
    prepareIssueUpdate,
    (request) =>
      exclusively(async () => {
        const s = requireStatus(['signed'], 'issue');
        // A number reserved by an earlier attempt is cancelled in the register, never reused.
        if (s.signing) await abandonSession(s, s.signing.sessionId, 'a new issuing attempt was started');
        const sessionId = uuid4();
        const expiresAt = new Date(Date.now() + ISSUE_SESSION_MS).toISOString();
        const prepared = await work.prepareSeal({
          documentId: s.summary.id,
          workflowId,
          sessionId,
          actor: request.actor,
          certificate: request.certificate,
          chain: request.chain,
          at: isoNow(),
          expiresAt,
        });
        s.signing = {
          sessionId,
          purpose: 'seal',
          personId: request.actor.personId,
          expiresAt,
          ...(prepared.number ? { number: prepared.number } : {}),
        };
        return prepared;
      }),
    { validator: (_request) => void requireStatus(['signed'], 'issue') },
  );

  setHandler(
    completeIssueUpdate,
    ...completion('signed', 'complete issuing', 'seal', work.completeSeal, 'issued'),
  );

  // --- ending: cancel before signing, recall after issuing, close when done ------------
  setHandler(
    cancelUpdate,
    (request) =>
      exclusively(async () => {
        const s = requireStatus(['draft', 'changes_requested', 'in_review', 'approved'], 'cancel');
        if (s.signing) await abandonSession(s, s.signing.sessionId, 'the document was cancelled');
        await quick.recordStatus({
          documentId: s.summary.id,
          workflowId,
          status: 'cancelled',
          action: 'document.cancelled',
          actor: request.actor,
          detail: { reason: request.reason },
          at: isoNow(),
        });
        s.summary = { ...s.summary, status: 'cancelled' };
        return s.summary;
      }),
    {
      validator: (_request) =>
        void requireStatus(['draft', 'changes_requested', 'in_review', 'approved'], 'cancel'),
    },
  );

  async function recall(actor: ActorRef | null, reason: string): Promise<DocumentSummary> {
    const s = current();
    await work.recallDocument({ documentId: s.summary.id, workflowId, actor, reason, at: isoNow() });
    s.recalled = { at: isoNow(), reason };
    s.summary = { ...s.summary, status: 'recalled' };
    return s.summary;
  }
  setHandler(
    recallUpdate,
    (request) =>
      exclusively(async () => {
        requireStatus(['issued', 'dispatched', 'closed'], 'recall');
        return recall(request.actor, request.reason);
      }),
    { validator: (_request) => void requireStatus(['issued', 'dispatched', 'closed'], 'recall') },
  );
  setHandler(replacedSignal, ({ replacementId, number }) => {
    void exclusively(async () => {
      const s = current();
      if (!['issued', 'dispatched', 'closed'].includes(s.summary.status)) return;
      await recall(null, `thay thế bởi văn bản ${number ?? replacementId} (replaced)`);
    });
  });

  setHandler(
    closeUpdate,
    (request) =>
      exclusively(async () => {
        const s = requireStatus(['dispatched'], 'close');
        await quick.recordStatus({
          documentId: s.summary.id,
          workflowId,
          status: 'closed',
          action: 'document.closed',
          actor: request.actor,
          detail: {},
          at: isoNow(),
        });
        s.summary = { ...s.summary, status: 'closed' };
        return s.summary;
      }),
    { validator: (_request) => void requireStatus(['dispatched'], 'close') },
  );

  // --- the main loop --------------------------------------------------------------------
  if (!state) {
    const { startTime } = workflowInfo();
    const summary = await quick.createDraft({ ...input.draft, workflowId, at: startTime.toISOString() });
    state = {
      summary,
      createdBy: input.draft.createdBy,
      issuingUnitId: input.draft.issuingUnitId,
      content: input.draft.content,
    };
    changed();
  }
  const s = state;

  // Background work (dispatch, deadlines) must never end the document's workflow: an
  // activity that fails for good is tried again later, with growing pauses, so that a
  // fixed deployment finishes what a broken one could not.
  let pause = MINUTE;
  const persevere = async (what: string, work: () => Promise<void>): Promise<void> => {
    busy = true;
    try {
      await work();
      pause = MINUTE;
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      log.warn(`${what} failed; trying again in ${pause / MINUTE} min`, { cause: error.cause?.message });
      busy = false;
      await condition(() => false, pause).catch(() => undefined);
      pause = Math.min(pause * 2, HOUR);
    } finally {
      busy = false;
      changed();
    }
  };

  for (;;) {
    await condition(() => !busy);
    if (TERMINAL_STATUSES.includes(s.summary.status) && s.summary.status !== 'closed') break;

    if (s.summary.status === 'issued' && !s.dispatch) {
      await persevere('dispatch', () => dispatch(s));
      continue;
    }

    const deadline = nextDeadline(s);
    const seen = revision;
    const woke =
      deadline === null
        ? await condition(() => revision !== seen).then(() => true)
        : await condition(() => revision !== seen, Math.max(1, Date.parse(deadline.at) - Date.now()));
    if (!woke && deadline && !busy) await persevere('a deadline', deadline.fire);
    if (s.summary.status === 'closed' && !s.dispatch?.responseDue) break;
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof documentWorkflow>({ draft: input.draft, carried: s });
    }
  }
  await condition(allHandlersFinished);
  return s.summary.status;

  async function dispatch(doc: DocumentWorkflowState): Promise<void> {
    const specs = doc.content.recipients ?? [];
    let total = 0;
    for (let index = 0; index < specs.length; index++) {
      let after = 0;
      for (;;) {
        const batch = await work.dispatchBatch({
          documentId: doc.summary.id,
          workflowId,
          specIndex: index,
          afterUnitId: after,
          limit: DISPATCH_BATCH,
          at: isoNow(),
        });
        total += batch.created;
        if (batch.done) break;
        after = batch.lastUnitId;
      }
    }
    const at = isoNow();
    await quick.markDispatched({ documentId: doc.summary.id, workflowId, deliveries: total, at });
    // Added while documents were already running: older histories did not notify, and
    // replay them unchanged (test/workflows/replay.test.ts).
    if (patched('notify-on-dispatch')) {
      await quick.notifyDispatched({ documentId: doc.summary.id, workflowId, deliveries: total, at });
    }
    doc.dispatch = {
      at,
      ...(doc.content.responseDue ? { responseDue: doc.content.responseDue } : {}),
      reminded: false,
      escalated: false,
    };
    doc.summary = { ...doc.summary, status: 'dispatched' };
    const replaces = input.draft.replacesDocumentId;
    if (replaces) {
      const number = await quick.documentNumber({ documentId: doc.summary.id });
      await getExternalWorkflowHandle(documentWorkflowId(replaces)).signal(replacedSignal, {
        replacementId: doc.summary.id,
        number,
      });
    }
    changed();
  }

  function nextDeadline(doc: DocumentWorkflowState): { at: string; fire: () => Promise<void> } | null {
    const escalateAfter = (doc.content.escalateAfterMinutes ?? DEFAULT_ESCALATE_AFTER_MS / MINUTE) * MINUTE;
    if (doc.signing && ['approved', 'signed'].includes(doc.summary.status)) {
      const signing = doc.signing;
      return {
        at: signing.expiresAt,
        fire: () => abandonSession(doc, signing.sessionId, 'the signing session expired'),
      };
    }
    const approval = doc.approval;
    if (doc.summary.status === 'in_review' && approval) {
      const due = approval.stepDue[approval.step];
      if (due && !approval.remindedSteps.includes(approval.step)) {
        return {
          at: due,
          fire: async () => {
            await quick.remindApprovers({
              documentId: doc.summary.id,
              workflowId,
              round: approval.round,
              step: approval.step,
              kind: 'reminder',
              at: isoNow(),
            });
            approval.remindedSteps.push(approval.step);
          },
        };
      }
      if (due && !approval.escalatedSteps.includes(approval.step)) {
        return {
          at: new Date(Date.parse(due) + escalateAfter).toISOString(),
          fire: async () => {
            await quick.remindApprovers({
              documentId: doc.summary.id,
              workflowId,
              round: approval.round,
              step: approval.step,
              kind: 'escalation',
              at: isoNow(),
            });
            approval.escalatedSteps.push(approval.step);
          },
        };
      }
    }
    const dispatched = doc.dispatch;
    if (doc.summary.status === 'dispatched' && dispatched?.responseDue) {
      const due = dispatched.responseDue;
      if (!dispatched.reminded) {
        return {
          at: due,
          fire: async () => {
            await work.followUpDeliveries({
              documentId: doc.summary.id,
              workflowId,
              kind: 'reminder',
              at: isoNow(),
            });
            dispatched.reminded = true;
          },
        };
      }
      if (!dispatched.escalated) {
        return {
          at: new Date(Date.parse(due) + escalateAfter).toISOString(),
          fire: async () => {
            await work.followUpDeliveries({
              documentId: doc.summary.id,
              workflowId,
              kind: 'escalation',
              at: isoNow(),
            });
            dispatched.escalated = true;
          },
        };
      }
      const last = dispatched.lastCheck ?? new Date(Date.parse(due) + escalateAfter).toISOString();
      return {
        at: new Date(Date.parse(last) + FOLLOW_UP_MS).toISOString(),
        fire: async () => {
          const { open } = await quick.countOpenDeliveries({ documentId: doc.summary.id });
          dispatched.lastCheck = isoNow();
          if (open === 0) {
            await quick.recordStatus({
              documentId: doc.summary.id,
              workflowId,
              status: 'closed',
              action: 'document.closed',
              actor: null,
              detail: { reason: 'every recipient has completed' },
              at: isoNow(),
            });
            doc.summary = { ...doc.summary, status: 'closed' };
            dispatched.responseDue = undefined;
          }
        },
      };
    }
    return null;
  }
}

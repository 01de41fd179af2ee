import { expect } from 'chai';
import { applyAction, canApply, DOCUMENT_STATUSES, TERMINAL_STATUSES } from '../../domain/lifecycle';

describe('domain/lifecycle', () => {
  it('walks a directive from draft to closed', () => {
    let status = applyAction('draft', 'submit');
    expect(status).to.equal('in_review');
    for (const action of ['approve', 'sign', 'issue', 'dispatch', 'close'] as const)
      status = applyAction(status, action);
    expect(status).to.equal('closed');
  });

  it('sends a returned draft back for changes and lets it be submitted again', () => {
    expect(applyAction('in_review', 'request_changes')).to.equal('changes_requested');
    expect(applyAction('changes_requested', 'submit')).to.equal('in_review');
  });

  it('refuses actions out of order with a reason in both languages', () => {
    expect(() => applyAction('draft', 'sign')).to.throw(/cannot sign a document that is draft \(Dự thảo\)/);
    expect(() => applyAction('draft', 'recall')).to.throw(/cannot recall/);
    expect(() => applyAction('signed', 'approve')).to.throw(/cannot approve/);
  });

  it('lets nothing but recall leave an issued document, and nothing leave a terminal one', () => {
    expect(canApply('issued', 'recall')).to.equal(true);
    expect(canApply('issued', 'edit')).to.equal(false);
    for (const status of TERMINAL_STATUSES.filter((s) => s !== 'closed')) {
      expect(DOCUMENT_STATUSES).to.include(status);
      expect(canApply(status, 'submit')).to.equal(false);
      expect(canApply(status, 'recall')).to.equal(false);
    }
  });
});

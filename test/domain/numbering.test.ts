import { expect } from 'chai';
import { DomainError } from '../../domain/errors';
import {
  numberLine,
  PARTY_REGISTER,
  padSequence,
  partyNumber,
  STATE_REGISTER,
  sequenceKey,
  stateNumber,
} from '../../domain/numbering';

describe('domain/numbering', () => {
  it('writes Party numbers as sequence-type/issuer, from 01', () => {
    expect(partyNumber(12, 'CT', 'TU')).to.equal('12-CT/TU');
    expect(partyNumber(1, 'NQ', 'HU')).to.equal('01-NQ/HU');
    expect(numberLine('party', partyNumber(5, 'CV', 'ĐU'))).to.equal('Số 05-CV/ĐU');
  });

  it('writes State numbers as sequence/type-issuer, and names the drafting unit for letters', () => {
    expect(stateNumber(12, 'QĐ', 'UBND')).to.equal('12/QĐ-UBND');
    expect(stateNumber(7, null, 'UBND', 'VP')).to.equal('07/UBND-VP');
    expect(numberLine('state', '12/QĐ-UBND')).to.equal('Số: 12/QĐ-UBND');
  });

  it('refuses sequences that are not whole numbers from 1', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => padSequence(bad)).to.throw(DomainError);
    expect(() => partyNumber(1, null, 'TU')).to.throw(/no Party number abbreviation/);
  });

  it('counts Party registers per type within a term and State registers shared per year', () => {
    const period = { term: '2025-2030', year: 2026 };
    expect(sequenceKey(PARTY_REGISTER, 'CT', period)).to.deep.equal({
      series: 'CT',
      period: 'term:2025-2030',
    });
    expect(sequenceKey(STATE_REGISTER, 'QD', period)).to.deep.equal({ series: '*', period: 'year:2026' });
  });
});

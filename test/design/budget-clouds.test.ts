// The budget's billing account field and the Google Cloud and Azure budget rules, through the
// design's validation (what `ai-stack check` runs).
import { collectProblems, type AiStackDesign } from '../../lib/design';
import { budgetRulesOnGcp } from '../../lib/gcp/budget/rules';
import { budgetRulesOnAzure, planBudgetNotifications } from '../../lib/azure/budget/rules';
import { Problems } from '../../lib/design/problems';
import { smallDesign } from '../fixtures/designs';

type Cloud = 'aws' | 'gcp' | 'azure';

const problems = (design: unknown, clouds?: Cloud[]): string[] => collectProblems(design as AiStackDesign, { clouds }).all.map((p) => `${p.path}: ${p.message}`);
const withoutAccount = () => {
  const d = smallDesign();
  delete d.budget.billingAccountId;
  return d;
};

describe('budget.billingAccountId', () => {
  const withAccount = (id: unknown) => {
    const d = smallDesign();
    d.budget.billingAccountId = id;
    return d;
  };

  test('a Cloud Billing account id is valid', () => {
    expect(problems(withAccount('012345-6789AB-CDEF01'))).toEqual([]);
  });

  test.each([
    ['lowercase letters', '012345-6789ab-cdef01', /write the letters in uppercase$/],
    ["the 'billingAccounts/' prefix", 'billingAccounts/012345-6789AB-CDEF01', /leave out the 'billingAccounts\/' prefix$/],
    ['two groups', '012345-6789AB', /^must be a Cloud Billing account id, XXXXXX-XXXXXX-XXXXXX .*\(got '012345-6789AB'\)$/],
    ['letters beyond F', '012345-6789AG-CDEF01', /\(got '012345-6789AG-CDEF01'\)$/],
  ])('%s is refused, with its path', (_what, id, message) => {
    const found = problems(withAccount(id));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^budget\.billingAccountId: /);
    expect(found[0].slice('budget.billingAccountId: '.length)).toMatch(message);
  });

  test('a value that is not a string is a shape error at its path', () => {
    expect(problems(withAccount(12345))).toEqual([expect.stringMatching(/^budget\.billingAccountId: /)]);
  });

  test('a misspelled key is refused with the field it meant', () => {
    const d = smallDesign();
    d.budget.billingAccount = '012345-6789AB-CDEF01';
    expect(problems(d)).toEqual([expect.stringMatching(/^budget\.billingAccount: unknown key.*did you mean 'billingAccountId'/)]);
  });
});

describe('the Google Cloud budget rules', () => {
  test('on Google Cloud, billingAccountId is required, with its path and how to find it', () => {
    expect(problems(smallDesign(), ['gcp'])).toEqual([]);
    expect(problems(withoutAccount(), ['gcp'])).toEqual([expect.stringMatching(/^budget\.billingAccountId: is required on Google Cloud: .*gcloud billing accounts list/)]);
  });

  test('not when Google Cloud is not a target cloud', () => {
    expect(problems(withoutAccount(), ['aws', 'azure'])).toEqual([]);
  });

  test('not when the design has no budget', () => {
    const d = smallDesign();
    delete d.budget;
    expect(problems(d, ['gcp'])).toEqual([]);
  });

  test('at most five addresses: one monitoring channel each', () => {
    const b = { monthlyLimitUsd: 10, billingAccountId: '012345-6789AB-CDEF01', notifyEmails: ['a@x.io', 'b@x.io', 'c@x.io', 'd@x.io', 'e@x.io'] };
    const p = new Problems();
    budgetRulesOnGcp(b, 'budget', p);
    expect(p.all).toEqual([]);
    budgetRulesOnGcp({ ...b, notifyEmails: [...b.notifyEmails, 'f@x.io'] }, 'budget', p);
    expect(p.all.map((x) => `${x.path}: ${x.message}`)).toEqual([expect.stringMatching(/^budget\.notifyEmails: lists 6 addresses, but a Google Cloud budget notifies at most 5 monitoring channels/)]);
  });
});

describe('the Azure budget rules', () => {
  const five = [{ percent: 50 }, { percent: 80 }, { percent: 100, type: 'forecast' as const }, { percent: 100 }];

  test('the hard stop at an actual threshold is that notification; elsewhere it is one more', () => {
    expect(planBudgetNotifications({ thresholds: five, hardStop: { atPercent: 80 } }).filter((n) => n.hardStop)).toEqual([{ thresholdType: 'Actual', percent: 80, hardStop: true }]);
    expect(planBudgetNotifications({ thresholds: five, hardStop: { atPercent: 90 } })).toHaveLength(5);
  });

  test('at most five notifications, naming the hard stop and the fix', () => {
    const p = new Problems();
    budgetRulesOnAzure({ monthlyLimitUsd: 10, notifyEmails: ['a@x.io'], thresholds: [...five, { percent: 120 }], hardStop: { atPercent: 95 } }, 'budget', p);
    expect(p.all.map((x) => `${x.path}: ${x.message}`)).toEqual([
      "budget.thresholds: make 6 notifications with the hard stop's (95 percent actual), but an Azure consumption budget has at most 5; drop 1, or put an actual threshold at the hard stop's percent (it is then the same notification)",
    ]);
  });

  test('bind through the design on Azure only', () => {
    const d = smallDesign();
    d.budget.thresholds = [...five, { percent: 120 }, { percent: 150 }];
    expect(problems(d, ['azure'])).toEqual([expect.stringMatching(/^budget\.thresholds: make 6 notifications, but an Azure consumption budget has at most 5; drop 1$/)]);
    expect(problems(d, ['aws', 'gcp'])).toEqual([]);
  });
});

import { isCron } from '../../design/gpu-endpoint';
import { isToken, type Problems } from '../../design/problems';
import { quote } from '../../design/quote';

/** An Azure Monitor autoscale `recurrence` block: weekly, at one hour and minute, in a Windows time zone. */
export interface AutoscaleRecurrence {
  readonly timezone: string;
  readonly days: string[];
  readonly hours: number[];
  readonly minutes: number[];
}

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
/** Azure lists days Monday first; this order keeps synth output stable and readable. */
const DAY_ORDER = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

/**
 * The time zones Azure Monitor autoscale accepts (Windows time zone ids), as the azurerm provider
 * validates them (`validateAutoScaleSettingsTimeZone`, from the Autoscale REST API's TimeWindow).
 */
export const AUTOSCALE_TIME_ZONES: readonly string[] = [
  'Dateline Standard Time', 'UTC-11', 'Hawaiian Standard Time', 'Alaskan Standard Time', 'Pacific Standard Time (Mexico)',
  'Pacific Standard Time', 'US Mountain Standard Time', 'Mountain Standard Time (Mexico)', 'Mountain Standard Time',
  'Central America Standard Time', 'Central Standard Time', 'Central Standard Time (Mexico)', 'Canada Central Standard Time',
  'SA Pacific Standard Time', 'Eastern Standard Time', 'US Eastern Standard Time', 'Venezuela Standard Time',
  'Paraguay Standard Time', 'Atlantic Standard Time', 'Central Brazilian Standard Time', 'SA Western Standard Time',
  'Pacific SA Standard Time', 'Newfoundland Standard Time', 'E. South America Standard Time', 'Argentina Standard Time',
  'SA Eastern Standard Time', 'Greenland Standard Time', 'Montevideo Standard Time', 'Bahia Standard Time', 'UTC-02',
  'Mid-Atlantic Standard Time', 'Azores Standard Time', 'Cape Verde Standard Time', 'Morocco Standard Time', 'UTC',
  'GMT Standard Time', 'Greenwich Standard Time', 'W. Europe Standard Time', 'Central Europe Standard Time',
  'Romance Standard Time', 'Central European Standard Time', 'W. Central Africa Standard Time', 'Namibia Standard Time',
  'Jordan Standard Time', 'GTB Standard Time', 'Middle East Standard Time', 'Egypt Standard Time', 'Syria Standard Time',
  'E. Europe Standard Time', 'South Africa Standard Time', 'FLE Standard Time', 'Turkey Standard Time',
  'Israel Standard Time', 'Kaliningrad Standard Time', 'Libya Standard Time', 'Arabic Standard Time', 'Arab Standard Time',
  'Belarus Standard Time', 'Russian Standard Time', 'E. Africa Standard Time', 'Iran Standard Time', 'Arabian Standard Time',
  'Azerbaijan Standard Time', 'Russia Time Zone 3', 'Mauritius Standard Time', 'Georgian Standard Time',
  'Caucasus Standard Time', 'Afghanistan Standard Time', 'West Asia Standard Time', 'Ekaterinburg Standard Time',
  'Pakistan Standard Time', 'India Standard Time', 'Sri Lanka Standard Time', 'Nepal Standard Time',
  'Central Asia Standard Time', 'Bangladesh Standard Time', 'N. Central Asia Standard Time', 'Myanmar Standard Time',
  'SE Asia Standard Time', 'North Asia Standard Time', 'China Standard Time', 'North Asia East Standard Time',
  'Singapore Standard Time', 'W. Australia Standard Time', 'Taipei Standard Time', 'Ulaanbaatar Standard Time',
  'Tokyo Standard Time', 'Korea Standard Time', 'Yakutsk Standard Time', 'Cen. Australia Standard Time',
  'AUS Central Standard Time', 'E. Australia Standard Time', 'AUS Eastern Standard Time', 'West Pacific Standard Time',
  'Tasmania Standard Time', 'Magadan Standard Time', 'Vladivostok Standard Time', 'Russia Time Zone 10',
  'Central Pacific Standard Time', 'Russia Time Zone 11', 'New Zealand Standard Time', 'UTC+12', 'Fiji Standard Time',
  'Kamchatka Standard Time', 'Tonga Standard Time', 'Samoa Standard Time', 'Line Islands Standard Time',
];

/**
 * IANA time zone → the Windows time zone id autoscale accepts, after the CLDR `windowsZones` mapping,
 * limited to ids in {@link AUTOSCALE_TIME_ZONES}. Zones sharing an offset and DST rules with a listed one
 * map to it. A zone missing here can be given as its Windows id directly.
 */
const IANA_TO_WINDOWS: Readonly<Record<string, string>> = {
  UTC: 'UTC', 'Etc/UTC': 'UTC', 'Etc/GMT': 'UTC', GMT: 'UTC', 'Etc/Universal': 'UTC',
  'Etc/GMT+12': 'Dateline Standard Time', 'Etc/GMT+11': 'UTC-11', 'Pacific/Pago_Pago': 'UTC-11', 'Etc/GMT+2': 'UTC-02',
  'Etc/GMT-12': 'UTC+12',
  // Europe and Africa
  'Europe/London': 'GMT Standard Time', 'Europe/Dublin': 'GMT Standard Time', 'Europe/Lisbon': 'GMT Standard Time',
  'Atlantic/Canary': 'GMT Standard Time', 'Atlantic/Reykjavik': 'Greenwich Standard Time', 'Africa/Abidjan': 'Greenwich Standard Time',
  'Europe/Berlin': 'W. Europe Standard Time', 'Europe/Amsterdam': 'W. Europe Standard Time', 'Europe/Rome': 'W. Europe Standard Time',
  'Europe/Stockholm': 'W. Europe Standard Time', 'Europe/Vienna': 'W. Europe Standard Time', 'Europe/Zurich': 'W. Europe Standard Time',
  'Europe/Oslo': 'W. Europe Standard Time', 'Europe/Luxembourg': 'W. Europe Standard Time', 'Europe/Monaco': 'W. Europe Standard Time',
  'Europe/Paris': 'Romance Standard Time', 'Europe/Brussels': 'Romance Standard Time', 'Europe/Madrid': 'Romance Standard Time',
  'Europe/Copenhagen': 'Romance Standard Time',
  'Europe/Prague': 'Central Europe Standard Time', 'Europe/Budapest': 'Central Europe Standard Time',
  'Europe/Belgrade': 'Central Europe Standard Time', 'Europe/Bratislava': 'Central Europe Standard Time',
  'Europe/Ljubljana': 'Central Europe Standard Time',
  'Europe/Warsaw': 'Central European Standard Time', 'Europe/Zagreb': 'Central European Standard Time',
  'Europe/Sarajevo': 'Central European Standard Time', 'Europe/Skopje': 'Central European Standard Time',
  'Europe/Athens': 'GTB Standard Time', 'Europe/Bucharest': 'GTB Standard Time',
  'Europe/Helsinki': 'FLE Standard Time', 'Europe/Kiev': 'FLE Standard Time', 'Europe/Kyiv': 'FLE Standard Time',
  'Europe/Riga': 'FLE Standard Time', 'Europe/Sofia': 'FLE Standard Time', 'Europe/Tallinn': 'FLE Standard Time',
  'Europe/Vilnius': 'FLE Standard Time', 'Europe/Chisinau': 'E. Europe Standard Time',
  'Europe/Istanbul': 'Turkey Standard Time', 'Europe/Kaliningrad': 'Kaliningrad Standard Time',
  'Europe/Moscow': 'Russian Standard Time', 'Europe/Minsk': 'Belarus Standard Time', 'Europe/Samara': 'Russia Time Zone 3',
  'Africa/Casablanca': 'Morocco Standard Time', 'Africa/Lagos': 'W. Central Africa Standard Time',
  'Africa/Algiers': 'W. Central Africa Standard Time', 'Africa/Windhoek': 'Namibia Standard Time',
  'Africa/Cairo': 'Egypt Standard Time', 'Africa/Johannesburg': 'South Africa Standard Time', 'Africa/Tripoli': 'Libya Standard Time',
  'Africa/Nairobi': 'E. Africa Standard Time', 'Africa/Addis_Ababa': 'E. Africa Standard Time',
  // Middle East and Asia
  'Asia/Amman': 'Jordan Standard Time', 'Asia/Beirut': 'Middle East Standard Time', 'Asia/Damascus': 'Syria Standard Time',
  'Asia/Jerusalem': 'Israel Standard Time', 'Asia/Tel_Aviv': 'Israel Standard Time', 'Asia/Baghdad': 'Arabic Standard Time',
  'Asia/Riyadh': 'Arab Standard Time', 'Asia/Kuwait': 'Arab Standard Time', 'Asia/Qatar': 'Arab Standard Time',
  'Asia/Tehran': 'Iran Standard Time', 'Asia/Dubai': 'Arabian Standard Time', 'Asia/Muscat': 'Arabian Standard Time',
  'Asia/Baku': 'Azerbaijan Standard Time', 'Indian/Mauritius': 'Mauritius Standard Time', 'Asia/Tbilisi': 'Georgian Standard Time',
  'Asia/Yerevan': 'Caucasus Standard Time', 'Asia/Kabul': 'Afghanistan Standard Time', 'Asia/Tashkent': 'West Asia Standard Time',
  'Asia/Yekaterinburg': 'Ekaterinburg Standard Time', 'Asia/Karachi': 'Pakistan Standard Time',
  'Asia/Kolkata': 'India Standard Time', 'Asia/Calcutta': 'India Standard Time', 'Asia/Colombo': 'Sri Lanka Standard Time',
  'Asia/Kathmandu': 'Nepal Standard Time', 'Asia/Almaty': 'Central Asia Standard Time', 'Asia/Dhaka': 'Bangladesh Standard Time',
  'Asia/Novosibirsk': 'N. Central Asia Standard Time', 'Asia/Yangon': 'Myanmar Standard Time', 'Asia/Rangoon': 'Myanmar Standard Time',
  'Asia/Bangkok': 'SE Asia Standard Time', 'Asia/Jakarta': 'SE Asia Standard Time', 'Asia/Ho_Chi_Minh': 'SE Asia Standard Time',
  'Asia/Krasnoyarsk': 'North Asia Standard Time', 'Asia/Shanghai': 'China Standard Time', 'Asia/Hong_Kong': 'China Standard Time',
  'Asia/Irkutsk': 'North Asia East Standard Time', 'Asia/Singapore': 'Singapore Standard Time',
  'Asia/Kuala_Lumpur': 'Singapore Standard Time', 'Asia/Manila': 'Singapore Standard Time', 'Asia/Taipei': 'Taipei Standard Time',
  'Asia/Ulaanbaatar': 'Ulaanbaatar Standard Time', 'Asia/Tokyo': 'Tokyo Standard Time', 'Asia/Seoul': 'Korea Standard Time',
  'Asia/Yakutsk': 'Yakutsk Standard Time', 'Asia/Vladivostok': 'Vladivostok Standard Time', 'Asia/Magadan': 'Magadan Standard Time',
  'Asia/Srednekolymsk': 'Russia Time Zone 10', 'Asia/Kamchatka': 'Russia Time Zone 11',
  // Oceania
  'Australia/Perth': 'W. Australia Standard Time', 'Australia/Adelaide': 'Cen. Australia Standard Time',
  'Australia/Darwin': 'AUS Central Standard Time', 'Australia/Brisbane': 'E. Australia Standard Time',
  'Australia/Sydney': 'AUS Eastern Standard Time', 'Australia/Melbourne': 'AUS Eastern Standard Time',
  'Australia/Canberra': 'AUS Eastern Standard Time', 'Australia/Hobart': 'Tasmania Standard Time',
  'Pacific/Port_Moresby': 'West Pacific Standard Time', 'Pacific/Guam': 'West Pacific Standard Time',
  'Pacific/Guadalcanal': 'Central Pacific Standard Time', 'Pacific/Auckland': 'New Zealand Standard Time',
  'Pacific/Fiji': 'Fiji Standard Time', 'Pacific/Tongatapu': 'Tonga Standard Time', 'Pacific/Apia': 'Samoa Standard Time',
  'Pacific/Kiritimati': 'Line Islands Standard Time', 'Pacific/Honolulu': 'Hawaiian Standard Time',
  // Americas
  'America/Anchorage': 'Alaskan Standard Time', 'America/Tijuana': 'Pacific Standard Time (Mexico)',
  'America/Los_Angeles': 'Pacific Standard Time', 'America/Vancouver': 'Pacific Standard Time',
  'America/Phoenix': 'US Mountain Standard Time', 'America/Chihuahua': 'Mountain Standard Time (Mexico)',
  'America/Denver': 'Mountain Standard Time', 'America/Edmonton': 'Mountain Standard Time', 'America/Boise': 'Mountain Standard Time',
  'America/Guatemala': 'Central America Standard Time', 'America/Chicago': 'Central Standard Time',
  'America/Winnipeg': 'Central Standard Time', 'America/Mexico_City': 'Central Standard Time (Mexico)',
  'America/Regina': 'Canada Central Standard Time', 'America/Bogota': 'SA Pacific Standard Time', 'America/Lima': 'SA Pacific Standard Time',
  'America/New_York': 'Eastern Standard Time', 'America/Toronto': 'Eastern Standard Time', 'America/Detroit': 'Eastern Standard Time',
  'America/Indiana/Indianapolis': 'US Eastern Standard Time', 'America/Caracas': 'Venezuela Standard Time',
  'America/Asuncion': 'Paraguay Standard Time', 'America/Halifax': 'Atlantic Standard Time',
  'America/Cuiaba': 'Central Brazilian Standard Time', 'America/La_Paz': 'SA Western Standard Time',
  'America/Santiago': 'Pacific SA Standard Time', 'America/St_Johns': 'Newfoundland Standard Time',
  'America/Sao_Paulo': 'E. South America Standard Time', 'America/Argentina/Buenos_Aires': 'Argentina Standard Time',
  'America/Buenos_Aires': 'Argentina Standard Time', 'America/Cayenne': 'SA Eastern Standard Time',
  'America/Nuuk': 'Greenland Standard Time', 'America/Godthab': 'Greenland Standard Time',
  'America/Montevideo': 'Montevideo Standard Time', 'America/Bahia': 'Bahia Standard Time',
  'Atlantic/Azores': 'Azores Standard Time', 'Atlantic/Cape_Verde': 'Cape Verde Standard Time',
};

/**
 * The Windows time zone id autoscale needs for an IANA zone (or a Windows id given directly).
 * Reports a problem at `path` and returns undefined when there is none.
 */
export function windowsTimeZone(zone: string, path: string, problems: Problems): string | undefined {
  if (AUTOSCALE_TIME_ZONES.includes(zone)) return zone;
  const mapped = IANA_TO_WINDOWS[zone];
  if (mapped) return mapped;
  problems.add(
    path,
    `Azure autoscale has no time zone for ${quote(zone)}: use an IANA zone such as 'Europe/Berlin' or 'America/New_York' ` +
      `(${Object.keys(IANA_TO_WINDOWS).length} are mapped to Windows time zones)`,
  );
  return undefined;
}

/** Every Windows id the IANA table maps to is one autoscale accepts (checked by the tests). */
export function mappedWindowsZones(): string[] {
  return [...new Set(Object.values(IANA_TO_WINDOWS))];
}

function expandDays(field: string): number[] | undefined {
  if (field === '*') return [0, 1, 2, 3, 4, 5, 6];
  const days = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined; // steps (`*/2`) have no weekly meaning here
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from > 7 || to > 7 || to < from) return undefined;
    for (let d = from; d <= to; d++) days.add(d % 7);
  }
  return [...days];
}

/**
 * Converts a five-field cron to an autoscale recurrence. Azure recurrences are weekly and start at one
 * hour and one minute (the provider allows a single value of each), so the cron must have a single
 * minute and hour, `*` for day-of-month and month, and days of week as `*`, numbers, ranges or lists.
 * Problems are reported at `path`; an invalid cron (already reported by design validation) is skipped.
 */
export function cronToRecurrence(expr: string, timezone: string, path: string, problems: Problems): AutoscaleRecurrence | undefined {
  if (isToken(expr) || !isCron(expr)) return undefined;
  const [minute, hour, dom, month, dow] = expr.trim().split(/\s+/);
  const fix = `Azure autoscale recurrences are weekly at one time, e.g. '0 20 * * 1-5' (got ${quote(expr)})`;
  if (!/^\d+$/.test(minute) || Number(minute) > 59) {
    problems.add(path, `the minute must be one number 0-59; ${fix}`);
    return undefined;
  }
  if (!/^\d+$/.test(hour) || Number(hour) > 23) {
    problems.add(path, `the hour must be one number 0-23; ${fix}`);
    return undefined;
  }
  if (dom !== '*' || month !== '*') {
    problems.add(path, `day-of-month and month must be '*'; ${fix}`);
    return undefined;
  }
  const days = expandDays(dow);
  if (!days) {
    problems.add(path, `day-of-week must be '*', 0-7, a range or a list (0 and 7 are Sunday); ${fix}`);
    return undefined;
  }
  const names = new Set(days.map((d) => DAY_NAMES[d]));
  return { timezone, days: DAY_ORDER.filter((d) => names.has(d)), hours: [Number(hour)], minutes: [Number(minute)] };
}

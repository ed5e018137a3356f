/**
 * The smallest config the unit tests load (one Google source, the API key from
 * $WEBMEETING_API_KEY); the config fuzz starts from it too.
 */
export const MINIMAL_CONFIG = `
webMeeting:
  baseUrl: https://meeting.example.com
  apiKey: \${WEBMEETING_API_KEY}
  accountIds: [5e9459c5b863b82cefdddf4f]
sources:
  - name: corp-google
    kind: google
    calendars: [alice@example.com]
    auth: { type: serviceAccount, keyFile: ./secrets/google-sa.json }
`;

export { cmsScheme } from './cms-scheme';

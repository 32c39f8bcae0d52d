// Where the editor's modules are: the installed package's static folder (the pytest
// wrapper sets MOA_MINDMAP_STATIC, so a wheel is tested as installed), else the checkout.
import { pathToFileURL } from "node:url";

const folder = process.env.MOA_MINDMAP_STATIC
  || new URL("../../src/moa_mindmap/static/moa_mindmap/", import.meta.url).pathname;

export function load(name) { return import(pathToFileURL(folder + "/" + name).href); }

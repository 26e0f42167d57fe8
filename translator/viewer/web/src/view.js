// The 3D view: renderer (WebXR-enabled), the scene (a GLB or a floor grid), one visual per
// thing (a bound scene node or a marker), DOM labels that follow them, and picking.

import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { CSS2DObject, CSS2DRenderer } from 'three/addons/renderers/CSS2DRenderer.js';
import { VRButton } from 'three/addons/webxr/VRButton.js';
import { NEUTRAL, primaryProperty, valueBand } from './colors.js';
import { NodeEffect } from './effects.js';
import { renderLabel } from './labels.js';
import { autoLayout } from './layout.js';
import { Twin } from './twin.js';

const MARKER_SHAPES = {
  Switch: () => new THREE.BoxGeometry(0.32, 0.22, 0.32),
  Meter: () => new THREE.BoxGeometry(0.28, 0.34, 0.18),
  Device: () => new THREE.ConeGeometry(0.18, 0.36, 20),
};
const SENSOR_SHAPE = () => new THREE.SphereGeometry(0.17, 24, 16);
const MIN_FRAME_MS = 1000 / 30 - 2;

export class SceneView {
  /**
   * @param {HTMLElement} container
   * @param {{onPick: (iri: string) => void, xrButtonHost?: HTMLElement}} options
   */
  constructor(container, { onPick, xrButtonHost = null }) {
    this.container = container;
    this.onPick = onPick;
    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color('#15202b');
    this.camera = new THREE.PerspectiveCamera(50, 1, 0.05, 200);
    this.camera.position.set(-2, 9, 13);
    this.visuals = new Map(); // iri → {kind, object, label, effect}
    this.areaTiles = new Map();
    this.sceneRoot = null;
    this.clips = [];
    this.mixer = null;
    this.timer = new THREE.Timer();
    this.layoutOrigin = [-3, 0, 1.5];
    this.selected = null;
    this.framed = false;
    this.gl = this.#renderer(xrButtonHost);
    this.labels = new CSS2DRenderer();
    this.labels.domElement.className = 'labels';
    container.append(this.labels.domElement);
    this.controls = new OrbitControls(this.camera, this.gl?.domElement ?? this.labels.domElement);
    this.controls.target.set(0, 0.8, 0);
    this.controls.enableDamping = true;
    this.#lights();
    new ResizeObserver(() => this.#resize()).observe(container);
    this.#resize();
    if (this.gl) this.gl.setAnimationLoop(() => this.#frame());
    else setInterval(() => this.#frame(), 100);
  }

  #renderer(xrButtonHost) {
    let renderer;
    try {
      renderer = new THREE.WebGLRenderer({ antialias: true });
    } catch (error) {
      const note = document.createElement('p');
      note.className = 'no-webgl';
      note.textContent = `No WebGL here (${error.message}): the labels still show every thing.`;
      this.container.append(note);
      return null;
    }
    renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    renderer.xr.enabled = true;
    renderer.domElement.addEventListener('click', (event) => this.#pick(event));
    this.container.append(renderer.domElement);
    if (xrButtonHost) {
      const button = VRButton.createButton(renderer);
      button.removeAttribute('style');
      button.classList.add('xr-button');
      xrButtonHost.append(button);
    }
    return renderer;
  }

  #lights() {
    this.scene.add(new THREE.HemisphereLight('#dde6ff', '#3a2f28', 2.2));
    const sun = new THREE.DirectionalLight('#fff4e0', 2.0);
    sun.position.set(4, 8, 6);
    this.scene.add(sun);
  }

  /** Load the scene (GLB/glTF URL), or show a floor grid when `url` is null. */
  async load(url) {
    if (!url) {
      const grid = new THREE.GridHelper(24, 24, '#3c4c5c', '#25323f');
      this.scene.add(grid);
      this.layoutOrigin = [-6, 0, -2];
      return;
    }
    const gltf = await new GLTFLoader().loadAsync(url);
    this.sceneRoot = gltf.scene;
    this.scene.add(gltf.scene);
    this.clips = gltf.animations;
    this.mixer = new THREE.AnimationMixer(gltf.scene);
    const box = new THREE.Box3().setFromObject(gltf.scene);
    this.layoutOrigin = [box.min.x, 0, box.max.z + 1.2];
  }

  /** Bring the visuals in line with the twin (call after descriptions or readings change). */
  sync(twin, now, staleAfterMs) {
    const free = [];
    for (const thing of twin.things.values()) {
      const node = thing.node && this.sceneRoot ? this.sceneRoot.getObjectByName(thing.node) : null;
      if (!node && !thing.position) free.push({ iri: thing.iri, area: thing.area });
    }
    const layout = autoLayout(free, { origin: this.layoutOrigin });
    this.#areas(layout.areas);
    for (const thing of twin.things.values()) {
      const visual = this.#visual(thing, layout.positions.get(thing.iri));
      const stale = Twin.isStale(thing, now, staleAfterMs);
      renderLabel(visual.label.element, thing, { stale, selected: this.selected === thing.iri });
      if (visual.kind === 'marker') this.#paintMarker(visual, thing, stale);
    }
    if (!this.framed && twin.things.size) this.#frameAll();
  }

  #visual(thing, autoPosition) {
    const node = thing.node && this.sceneRoot ? this.sceneRoot.getObjectByName(thing.node) : null;
    const kind = node ? 'node' : 'marker';
    let visual = this.visuals.get(thing.iri);
    if (visual && (visual.kind !== kind || (node && visual.object !== node))) {
      this.#drop(visual);
      visual = null;
    }
    if (!visual) {
      visual = node ? this.#bind(thing, node) : this.#marker(thing);
      this.visuals.set(thing.iri, visual);
    }
    if (kind === 'marker') {
      const at = thing.position || autoPosition || [0, 0, 0];
      visual.object.position.set(at[0], at[1], at[2]);
    }
    visual.thing = thing;
    return visual;
  }

  #label(thing, parent, height) {
    const element = document.createElement('div');
    element.className = 'label';
    element.dataset.thing = thing.iri;
    element.addEventListener('click', () => this.onPick(thing.iri));
    const label = new CSS2DObject(element);
    label.position.set(0, height, 0);
    parent.add(label);
    return label;
  }

  #bind(thing, node) {
    node.traverse((child) => {
      child.userData.thing = thing.iri;
    });
    const box = new THREE.Box3().setFromObject(node);
    const center = box.getCenter(new THREE.Vector3());
    const top = node.worldToLocal(new THREE.Vector3(center.x, box.max.y + 0.25, center.z));
    const label = this.#label(thing, node, top.y);
    label.position.x = top.x;
    label.position.z = top.z;
    return { kind: 'node', object: node, label, effect: new NodeEffect(node, this.mixer, this.clips) };
  }

  #marker(thing) {
    const group = new THREE.Group();
    group.name = `marker:${thing.iri}`;
    const type = [...thing.types].find((t) => MARKER_SHAPES[t]);
    const material = new THREE.MeshStandardMaterial({ color: NEUTRAL, roughness: 0.5, transparent: true });
    const body = new THREE.Mesh((MARKER_SHAPES[type] || SENSOR_SHAPE)(), material);
    body.position.y = 0.45;
    const stand = new THREE.Mesh(
      new THREE.CylinderGeometry(0.22, 0.26, 0.06, 24),
      new THREE.MeshStandardMaterial({ color: '#2b3947', roughness: 0.8 }),
    );
    stand.position.y = 0.03;
    group.add(body, stand);
    group.traverse((child) => {
      child.userData.thing = thing.iri;
    });
    this.scene.add(group);
    if (thing.model) this.#model(group, body, thing.model);
    const label = this.#label(thing, group, 0.95);
    return { kind: 'marker', object: group, body, label, effect: null };
  }

  async #model(group, body, name) {
    try {
      const gltf = await new GLTFLoader().loadAsync(`models/${encodeURIComponent(name)}`);
      gltf.scene.traverse((child) => {
        child.userData.thing = body.userData.thing;
      });
      group.add(gltf.scene);
      body.visible = false;
    } catch (error) {
      console.warn(`model ${name} could not be loaded`, error);
    }
  }

  #paintMarker(visual, thing, stale) {
    const property = primaryProperty(thing.readings);
    const reading = property ? thing.readings.get(property) : null;
    const band = reading ? valueBand(property, reading.value) : null;
    const material = visual.body.material;
    material.color.set(band ? band.color : NEUTRAL);
    material.opacity = stale ? 0.3 : 1;
  }

  #drop(visual) {
    visual.label.removeFromParent();
    visual.label.element.remove();
    if (visual.kind === 'marker') visual.object.removeFromParent();
  }

  #areas(areas) {
    const names = new Set(areas.map((area) => area.name));
    for (const [name, tile] of this.areaTiles) {
      if (!names.has(name)) {
        tile.removeFromParent();
        this.areaTiles.delete(name);
      }
    }
    for (const area of areas) {
      let tile = this.areaTiles.get(area.name);
      if (!tile) {
        tile = new THREE.Mesh(
          new THREE.PlaneGeometry(1, 1),
          new THREE.MeshStandardMaterial({ color: '#223140', roughness: 0.9 }),
        );
        tile.rotation.x = -Math.PI / 2;
        const element = document.createElement('div');
        element.className = 'area-label';
        element.textContent = area.name;
        const label = new CSS2DObject(element);
        tile.add(label);
        this.scene.add(tile);
        this.areaTiles.set(area.name, tile);
      }
      tile.scale.set(area.size[0] + 0.2, area.size[1] + 0.2, 1);
      tile.position.set(area.center[0], 0.005, area.center[2]);
      tile.children[0].position.set(0, -0.5 - 0.2 / area.size[1], 0);
    }
  }

  #frameAll() {
    const box = new THREE.Box3();
    if (this.sceneRoot) box.expandByObject(this.sceneRoot);
    for (const visual of this.visuals.values()) box.expandByObject(visual.object);
    if (box.isEmpty()) return;
    this.framed = true;
    const center = box.getCenter(new THREE.Vector3());
    const radius = box.getSize(new THREE.Vector3()).length() / 2;
    const fov = THREE.MathUtils.degToRad(this.camera.fov);
    const fit = Math.min(fov, 2 * Math.atan(Math.tan(fov / 2) * this.camera.aspect));
    const distance = (radius / Math.sin(fit / 2)) * 0.85;
    const direction = new THREE.Vector3(0.1, 0.8, 1).normalize();
    this.controls.target.copy(center);
    this.camera.position.copy(center).addScaledVector(direction, distance);
    this.controls.update();
  }

  /** Frame the camera again once more things arrived (e.g. after the first snapshot). */
  reframe() {
    this.framed = false;
  }

  select(iri) {
    this.selected = iri;
  }

  #pick(event) {
    const rect = this.gl.domElement.getBoundingClientRect();
    const pointer = new THREE.Vector2(
      ((event.clientX - rect.left) / rect.width) * 2 - 1,
      -((event.clientY - rect.top) / rect.height) * 2 + 1,
    );
    const ray = new THREE.Raycaster();
    ray.setFromCamera(pointer, this.camera);
    const hit = ray.intersectObjects(this.scene.children, true).find((h) => h.object.userData.thing);
    if (hit) this.onPick(hit.object.userData.thing);
  }

  #resize() {
    const width = this.container.clientWidth || 1;
    const height = this.container.clientHeight || 1;
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.gl?.setSize(width, height);
    this.labels.setSize(width, height);
  }

  #frame() {
    // outside XR, 30 frames a second are plenty and halve the cost of software rendering
    const now = performance.now();
    if (!this.gl?.xr.isPresenting && now - (this.lastFrame ?? 0) < MIN_FRAME_MS) return;
    this.lastFrame = now;
    this.timer.update();
    const dt = Math.min(this.timer.getDelta(), 0.1);
    this.mixer?.update(dt);
    for (const visual of this.visuals.values()) {
      if (visual.effect && visual.thing) visual.effect.update(visual.thing, dt);
    }
    this.controls.update();
    this.gl?.render(this.scene, this.camera);
    this.labels.render(this.scene, this.camera);
  }
}
